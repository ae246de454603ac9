// Night theme of the driver page: a switch in the header (aria-pressed), remembered on the phone
// (localStorage "ride_pool.driver.theme": "dark" | "light"); driver/theme-init.js applies it before
// the page is drawn.

import { onLanguageChange, t } from "/static/js/i18n.js";

const KEY = "ride_pool.driver.theme";

export function currentTheme() {
  return document.documentElement.getAttribute("data-theme") === "dark" ? "dark" : "light";
}

function apply(theme, button) {
  if (theme === "dark") document.documentElement.setAttribute("data-theme", "dark");
  else document.documentElement.removeAttribute("data-theme");
  const meta = document.querySelector('meta[name="color-scheme"]');
  if (meta) meta.content = theme === "dark" ? "dark" : "light";
  if (button) {
    button.setAttribute("aria-pressed", String(theme === "dark"));
    button.textContent = theme === "dark" ? "☀" : "☾";
    button.setAttribute("aria-label", t("driver.theme_dark"));
    button.title = t(theme === "dark" ? "driver.theme_to_light" : "driver.theme_to_dark");
  }
}

/** Wire the switch; onChange() after every change (e.g. to redraw the map). */
export function setUpTheme(button, onChange) {
  apply(currentTheme(), button);
  button.addEventListener("click", () => {
    const theme = currentTheme() === "dark" ? "light" : "dark";
    try { localStorage.setItem(KEY, theme); } catch (e) { /* storage blocked: this page only */ }
    apply(theme, button);
    if (onChange) onChange(theme);
  });
  onLanguageChange(() => apply(currentTheme(), button));
}
