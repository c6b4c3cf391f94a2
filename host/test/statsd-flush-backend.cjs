// A StatsD backend for test/host/start.spec.ts: at every flush it prints the counters and gauges the
// daemon aggregated, as one `@@flush {json}` line on stdout, so the test reads what StatsD made of the
// datagrams. Loaded by the real daemon (node_modules/statsd) through its `backends` setting.
"use strict"

exports.init = function (startupTime, config, events) {
    events.on("flush", function (timestamp, metrics) {
        const line = JSON.stringify({ timestamp: timestamp, counters: metrics.counters, gauges: metrics.gauges })
        process.stdout.write("@@flush " + line + "\n")
    })
    return true
}
