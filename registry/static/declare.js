"use strict";
// The result page's buttons: print, and keep the pass on this phone for self check-in.
// A file, not inline: the Content-Security-Policy allows scripts from this site only.
const result = document.getElementById("result");
if (result) {
  document.getElementById("print").addEventListener("click", () => window.print());
  try {
    // Only the pass (signed, masked name): it is already in this person's hands as the QR.
    localStorage.setItem("registry_pass", result.dataset.pass);
    document.getElementById("stored-note").hidden = false;
  } catch (e) { /* private mode: the QR image is still there */ }
}
