-- wrk script for bench/wrk.sh: POSTs the file named by WRK_BODY to
-- WRK_PATH with the headers WRK_HEADERS ("Name: value" pairs separated by
-- "|"), and prints one RESULT line: requests/s, p50/p90/p99/max latency
-- in ms, and the count of errors (non-2xx answers included).
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH") or "/"
wrk.body = read(assert(os.getenv("WRK_BODY"), "WRK_BODY not set"))
for pair in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^|]+") do
  local k, v = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
  wrk.headers[k] = v
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, summary.requests))
end
