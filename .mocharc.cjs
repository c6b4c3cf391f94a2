// mocha configuration (npm test = mocha)
//  - host-side specs are TypeScript, loaded through tsx;
//  - test/devs.spec.ts runs every DeviceScript test file (test/**/*.test.ts) in the
//    simulator of the DeviceScript CLI and declares one mocha test per DeviceScript
//    test. The results exist only after those runs, so mocha runs in "delay" mode:
//    devs.spec.ts calls the global run() once it has declared them. (Mocha always
//    loads the `spec` files below, also when files are named on the command line,
//    so devs.spec.ts is always there to call run().)
//  Environment: DEVS_TEST_FILES (comma-separated paths or globs) restricts the
//  DeviceScript files, DEVS_TEST_TIMEOUT_MS sets the per-file simulator timeout
//  (default 60000; a file's first line may say `// devs-timeout: 120000`),
//  DEVS_TEST_JOBS the number of parallel simulators (default 2), DEVS_VERBOSE=1
//  prints each file's output.
module.exports = {
    require: ["tsx/cjs"],
    extension: ["ts"],
    spec: ["test/**/*.spec.ts"],
    reporter: "spec",
    // host specs may drive the simulator too; DeviceScript under --test GC stress is slow
    timeout: 300000,
    slow: 5000,
    delay: true,
}
