/* How the models and roll-out page writes numbers and times: each with its unit, "–" for a
   figure that cannot be told (the API's null), times in the browser's zone. */
window.NimbusModelsFormat = (function () {
  "use strict";
  var ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var MOMENT = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: ZONE });
  var NONE = "–";

  function known(value) { return value !== null && value !== undefined && !isNaN(value); }
  function count(n) { return known(n) ? Number(n).toLocaleString("en") : NONE; }
  function plural(n, word) { return count(n) + " " + (n === 1 ? word : word + "s"); }
  // A rate of 0 to 1 as a percentage: "12.5 %".
  function pct(rate, digits) { return known(rate) ? (rate * 100).toFixed(digits === undefined ? 1 : digits) + " %" : NONE; }
  // A change of a rate, in percentage points with its sign: "+1.3 pts", "−4.0 pts".
  function points(change) {
    if (!known(change)) return NONE;
    var value = (change * 100).toFixed(1);
    if (value === "0.0" || value === "-0.0") return "±0.0 pts";
    return (change > 0 ? "+" : "−") + value.replace("-", "") + " pts";
  }
  // A rate and what it counts: "20.8 % (5 of 24)".
  function ratio(rate, part, whole) { return known(rate) ? pct(rate) + " (" + count(part) + " of " + count(whole) + ")" : NONE + " (none yet)"; }
  function ms(value) { return known(value) ? Math.round(value).toLocaleString("en") + " ms" : NONE; }
  function bytes(n) {
    if (!known(n)) return NONE;
    var units = ["B", "kB", "MB", "GB"], i = 0, value = n;
    while (value >= 1000 && i < units.length - 1) { value /= 1000; i += 1; }
    return (i ? value.toFixed(1) : String(value)) + " " + units[i];
  }
  function score(mean, n) { return known(mean) ? mean.toFixed(2) + " / 5 (n = " + count(n) + ")" : NONE + " (n = " + count(n) + ")"; }
  function when(iso) { return iso ? MOMENT.format(new Date(iso)) : NONE; }
  // How long ago, roughly: "3 min ago", "2 h ago", "4 days ago".
  function ago(iso, now) {
    if (!iso) return "";
    var seconds = Math.max(0, ((now || Date.now()) - new Date(iso).getTime()) / 1000);
    if (seconds < 90) return "just now";
    if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
    if (seconds < 129600) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  }

  return {
    ZONE: ZONE, NONE: NONE, known: known, count: count, plural: plural, pct: pct, points: points,
    ratio: ratio, ms: ms, bytes: bytes, score: score, when: when, ago: ago
  };
})();
