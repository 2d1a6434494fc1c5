-- bench/server_get.lua - wrk script of bench/server.sh for GETs: sends the
-- Bearer token from $CAIRN_TOKEN (when set) and prints one machine-readable
-- line at the end: RESULT requests/s p50-ms p99-ms non-2xx socket-errors.
local token = os.getenv("CAIRN_TOKEN")
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
