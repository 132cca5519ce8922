// Progressive enhancement for the commitment page: a slider over the commitment's own dates.
// Without JavaScript the date inputs do the same job; with it, letting go of the slider loads
// the page as of that date (a plain GET, so the URL stays a shareable link).
(function () {
  "use strict";
  var slider = document.getElementById("as_of_slider");
  var box = document.getElementById("slider-box");
  var input = document.getElementById("as_of");
  var out = document.getElementById("slider_day");
  if (!slider || !box || !input) { return; }
  var dates = (slider.getAttribute("data-dates") || "").split(" ").filter(Boolean);
  if (dates.length < 2) { return; }
  box.hidden = false;
  function show() {
    var day = dates[Number(slider.value)];
    out.textContent = day;
    slider.setAttribute("aria-valuetext", day);
    return day;
  }
  slider.addEventListener("input", show);
  slider.addEventListener("change", function () {
    input.value = show();
    input.form.submit();
  });
})();
