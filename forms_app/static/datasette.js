/* Datasette's SQL editor (CodeMirror) types into a textarea of its own: give it the name of the editor it replaces,
   the text of <label for="sql-editor">, so a screen reader says what it is (axe: "label"). */
window.addEventListener("load", () => {
  setTimeout(() => {
    const label = document.querySelector('label[for="sql-editor"]');
    document.querySelectorAll(".CodeMirror textarea").forEach((input) => {
      if (label && !input.hasAttribute("aria-label")) {
        input.setAttribute("aria-label", label.textContent.trim());
      }
    });
  }, 0);
});
