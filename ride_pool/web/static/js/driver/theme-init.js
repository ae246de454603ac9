// The driver page's theme before the first paint (a classic script in <head>: the CSP allows no
// inline script): "dark" when the driver chose the night theme (kept in localStorage by
// driver/theme.js), else the light one.
(function () {
  var theme = null;
  try { theme = localStorage.getItem("ride_pool.driver.theme"); } catch (e) { /* storage blocked */ }
  if (theme === "dark") document.documentElement.setAttribute("data-theme", "dark");
})();
