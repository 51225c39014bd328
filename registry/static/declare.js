"use strict";
// This phone's secret (made once, kept in its storage) and the pass it holds go with the
// declaration: together they prove the previous pass is this phone's, so the new one
// replaces it. A photo of the QR carries no secret. The result page's buttons: print, and
// keep the pass for self check-in. A file, not inline: the CSP allows this site's scripts.
function deviceSecret() {
  let secret = localStorage.getItem("registry_device");
  if (!secret || !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    secret = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    localStorage.setItem("registry_device", secret);
  }
  return secret;
}
const form = document.querySelector("form[action='/declare']");
if (form) {
  try {
    document.getElementById("device_secret").value = deviceSecret();
    document.getElementById("previous_pass").value = localStorage.getItem("registry_pass") || "";
  } catch (e) { /* private mode: a pass of its own, the previous one stays valid */ }
}
const result = document.getElementById("result");
if (result) {
  document.getElementById("print").addEventListener("click", () => window.print());
  try {
    // Only the pass (signed, masked name): it is already in this person's hands as the QR.
    localStorage.setItem("registry_pass", result.dataset.pass);
    document.getElementById("stored-note").hidden = false;
  } catch (e) { /* private mode: the QR image is still there */ }
}
