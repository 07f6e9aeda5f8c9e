// Builds the explorer into one self-contained file: dist/index.html (JS and CSS inlined).
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/** Inlines the entry chunk and the stylesheet into index.html and drops the separate files. */
function singleFile(): Plugin {
  return {
    name: "batchlog-single-file",
    enforce: "post",
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((f) => f.type === "asset" && f.fileName === "index.html");
      if (html?.type !== "asset") return;
      let source = String(html.source);
      for (const [name, file] of Object.entries(bundle)) {
        if (file.type === "chunk" && file.isEntry) {
          const code = file.code.replace(/<\/script/gi, "<\\/script");
          source = source.replace(
            new RegExp(`<script type="module" crossorigin src="[^"]*${escapeRe(name)}"></script>`),
            () => `<script type="module">${code}</script>`,
          );
          delete bundle[name];
        } else if (file.type === "asset" && name.endsWith(".css")) {
          const css = String(file.source).replace(/<\/style/gi, "<\\/style");
          source = source.replace(
            new RegExp(`<link rel="stylesheet" crossorigin href="[^"]*${escapeRe(name)}">`),
            () => `<style>${css}</style>`,
          );
          delete bundle[name];
        }
      }
      html.source = source;
    },
  };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export default defineConfig({
  root,
  base: "./",
  logLevel: "warn",
  plugins: [singleFile()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    cssCodeSplit: false,
    modulePreload: false,
    assetsInlineLimit: 100_000_000,
    reportCompressedSize: false,
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
});
