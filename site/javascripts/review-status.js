/*
 * Persona Map: review badges computed in the reader's browser.
 *
 * The site is built once, but a persona's review status changes with the calendar. Every badge
 *   <span class="pm-review pm-review--current" data-review-by="2027-10-14" data-due-soon-days="30">
 * is recomputed here against today's local date, so an old published page turns amber and then
 * red by itself. Same rule as generator/review.py:
 *   overdue   when today > review-by
 *   due-soon  when review-by - today <= due-soon-days days
 *   current   otherwise
 * Plain ES2017, no libraries, no requests, textContent only.
 */
(function () {
  "use strict";

  const LABELS = {
    "current": "Current",
    "due-soon": "Review due soon",
    "overdue": "Overdue for review"
  };
  const STATUSES = Object.keys(LABELS);
  const DEFAULT_DUE_SOON_DAYS = 30;
  const DAY_MS = 24 * 60 * 60 * 1000;

  // "YYYY-MM-DD" as a day number (UTC midnight of that calendar date), or null when invalid.
  function parseDay(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text || "").trim());
    if (!match) {
      return null;
    }
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    const time = Date.UTC(year, month - 1, day);
    const check = new Date(time);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
      return null; // e.g. 2027-02-30
    }
    return Math.round(time / DAY_MS);
  }

  // Today's local calendar date as a day number comparable with parseDay().
  function today() {
    const now = new Date();
    return Math.round(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / DAY_MS);
  }

  function statusOf(reviewBy, todayDay, dueSoonDays) {
    if (todayDay > reviewBy) {
      return "overdue";
    }
    if (reviewBy - todayDay <= dueSoonDays) {
      return "due-soon";
    }
    return "current";
  }

  function update() {
    const todayDay = today();
    const badges = document.querySelectorAll(".pm-review[data-review-by]");
    Array.prototype.forEach.call(badges, function (badge) {
      const text = badge.getAttribute("data-review-by").trim();
      const reviewBy = parseDay(text);
      if (reviewBy === null) {
        return; // keep what the build wrote
      }
      let dueSoonDays = parseInt(badge.getAttribute("data-due-soon-days"), 10);
      if (!Number.isFinite(dueSoonDays) || dueSoonDays < 0) {
        dueSoonDays = DEFAULT_DUE_SOON_DAYS;
      }
      const status = statusOf(reviewBy, todayDay, dueSoonDays);
      STATUSES.forEach(function (other) {
        if (other !== status) {
          badge.classList.remove("pm-review--" + other);
        }
      });
      badge.classList.add("pm-review--" + status);
      badge.setAttribute("data-status", status);
      badge.textContent = LABELS[status] + " \u00b7 review by " + text;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }

  // Material for MkDocs: run again on every page change (instant navigation).
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(update);
  }
})();
