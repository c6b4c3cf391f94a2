// mocha configuration for `npm run test:interop` (mocha --config test/interop/mocharc.cjs): only the
// Linux interop specs (*.interop.ts, which the plain `npm test` never loads: its spec pattern is
// test/**/*.spec.ts). No delay mode: nothing here calls run(). Needs root (network namespaces, TAP);
// without it the suite skips, saying why.
module.exports = {
    require: ["tsx/cjs"],
    extension: ["ts"],
    spec: ["test/interop/**/*.interop.ts"],
    reporter: "spec",
    timeout: 120000,
    slow: 15000,
    delay: false,
}
