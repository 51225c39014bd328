"use strict";
// The pass this phone kept from its declaration (declare.js) goes with the tap, with the
// phone's secret that proves the pass was declared here; without a pass, the page says where
// to get one. No inline script: the CSP allows this site's files only.
let pass = null;
let device = "";
try {
  pass = localStorage.getItem("registry_pass");
  device = localStorage.getItem("registry_device") || "";
} catch (e) { pass = null; }
if (pass) {
  document.getElementById("pass_text").value = pass;
  document.getElementById("device_secret").value = device;
  document.getElementById("checkin-form").hidden = false;
} else {
  document.getElementById("no-pass").hidden = false;
}
