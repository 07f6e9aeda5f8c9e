// The bearer-token prompt: a modal <dialog> that the API client opens on a 401.
import { setTokenPrompt } from "./api";

export function installAuthDialog(dialog: HTMLDialogElement): void {
  const form = dialog.querySelector("form")!;
  const reasonEl = dialog.querySelector<HTMLElement>("#auth-reason")!;
  const input = dialog.querySelector<HTMLInputElement>("#token-input")!;
  const cancel = dialog.querySelector<HTMLButtonElement>("#auth-cancel")!;
  setTokenPrompt(
    (reason) =>
      new Promise<string | null>((resolve) => {
        reasonEl.textContent = reason;
        input.value = "";
        const done = (token: string | null) => {
          form.removeEventListener("submit", onSubmit);
          cancel.removeEventListener("click", onCancel);
          dialog.removeEventListener("cancel", onCancel);
          if (dialog.open) dialog.close();
          resolve(token);
        };
        const onSubmit = (ev: Event) => {
          ev.preventDefault();
          const token = input.value.trim();
          if (token) done(token);
        };
        const onCancel = (ev: Event) => {
          ev.preventDefault();
          done(null);
        };
        form.addEventListener("submit", onSubmit);
        cancel.addEventListener("click", onCancel);
        dialog.addEventListener("cancel", onCancel);
        dialog.showModal();
        input.focus();
      }),
  );
}
