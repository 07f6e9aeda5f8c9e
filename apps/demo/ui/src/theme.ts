// Colour theme: follows the system (auto) unless the user picks dark or light; remembered per browser.
const THEMES = ["auto", "dark", "light"] as const;
type Theme = (typeof THEMES)[number];
const KEY = "batchlog.theme";

function stored(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return (THEMES as readonly string[]).includes(t ?? "") ? (t as Theme) : "auto";
  } catch {
    return "auto";
  }
}

/** Wires the theme button; `onChange` runs whenever the effective colours may have changed. */
export function initTheme(button: HTMLButtonElement, onChange: () => void): void {
  const apply = (theme: Theme) => {
    if (theme === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    button.title = `Theme: ${theme} (click to change)`;
    onChange();
  };
  button.addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(stored()) + 1) % THEMES.length]!;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // not persisted
    }
    apply(next);
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", onChange);
  apply(stored());
}
