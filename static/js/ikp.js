// Progressive enhancement only: every page works without this file.
// GOV.UK Frontend styles its JavaScript-enhanced components (menu toggle, password reveal…)
// only when <body> says it is supported; GOV.UK's template does that with an inline script,
// which our Content-Security-Policy forbids, so it is done here.
import { initAll, isSupported } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
if (isSupported()) {
  initAll();
}
