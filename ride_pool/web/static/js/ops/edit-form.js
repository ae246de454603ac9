// What the side forms of the vehicles, shifts and stops tabs share: required fields, the title
// switching between "new …" and "edit …", resetting, and choosing a position on the live map.

import { t } from "/static/js/i18n.js";
import { pickOnMap } from "/static/js/ops/overview.js";

/** null when the named fields are filled; else a sentence naming the empty ones (the first gets the focus). */
export function missing(form, names) {
  const empty = names.filter((n) => !String(form.elements[n].value).trim());
  for (const n of names) {
    if (empty.includes(n)) form.elements[n].setAttribute("aria-invalid", "true");
    else form.elements[n].removeAttribute("aria-invalid");
  }
  if (!empty.length) return null;
  form.elements[empty[0]].focus();
  const labels = empty.map((n) => {
    const label = form.querySelector(`label[for="${form.elements[n].id}"]`);
    return label ? label.textContent.trim() : n;
  });
  return t("ops.form.required", { fields: labels.join(", ") });
}

/** The form now edits a record: its title (titleKey with params) and the cancel button. */
export function setEditing(form, titleKey, params) {
  form.querySelector("h3").textContent = t(titleKey, params);
  form.querySelector(".cancel-edit").hidden = false;
}

/** Back to an empty "new …" form. */
export function resetForm(form, newTitleKey) {
  form.reset();
  form.elements.id.value = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  form.querySelector("h3").textContent = t(newTitleKey);
  form.querySelector(".cancel-edit").hidden = true;
}

/** The form's "choose on the map" button ([data-pick]): the next click on the map fills latName and lonName. */
export function wireMapPick(form, latName, lonName, status) {
  form.querySelector("[data-pick]").addEventListener("click", () => {
    status.textContent = t("ops.pick.now");
    pickOnMap((lat, lon) => {
      form.elements[latName].value = lat;
      form.elements[lonName].value = lon;
      status.textContent = t("ops.pick.done", { lat, lon });
      form.querySelector("button[type=submit]").focus({ preventScroll: true });
    });
  });
}
