// Copy the new API key to the clipboard (the page works without this; the key can be selected by hand).
"use strict";
document.getElementById("copy").addEventListener("click", async () => {
  const key = document.getElementById("new-key").value;
  await navigator.clipboard.writeText(key);
  document.getElementById("copy").textContent = "Copied";
});
