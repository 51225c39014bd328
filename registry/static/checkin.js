"use strict";
// The pass this phone kept from its declaration (declare.js) goes with the tap; without one,
// the page says where to get one. No inline script: the CSP allows this site's files only.
let pass = null;
try { pass = localStorage.getItem("registry_pass"); } catch (e) { pass = null; }
if (pass) {
  document.getElementById("pass_text").value = pass;
  document.getElementById("checkin-form").hidden = false;
} else {
  document.getElementById("no-pass").hidden = false;
}
