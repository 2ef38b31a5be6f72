// GOV.UK Frontend's own behaviour, as its page template starts it, from an external module
// (the CSP forbids the template's inline snippet): the error summary takes focus when a form
// comes back with errors, the skip link moves focus, buttons ignore a double click. Without
// JavaScript (or on a browser too old for modules) every page still works as served.
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
