-- wrk script for bench/soak.sh: a mix of requests read from the files in
-- SOAK_DIR, picked at random by weight: one-flow JSON (60 %), 100-flow
-- JSON (20 %), a 100-row CSV upload (15 %) and hostile requests (5 %: a
-- gzip bomb of newlines, a JSON object of 100,000 fields, a CSV of 200,000
-- columns, a flow with unknown fields, in turn). Prints one RESULT line:
-- requests/s, p50/p99/max latency in ms, socket errors, answers by
-- status, and the flows answered (classifications in 200 bodies).
local dir = assert(os.getenv("SOAK_DIR"), "SOAK_DIR not set")
local function read(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local kinds = {
  {60, "json", "one.json"},
  {20, "json", "batch100.json"},
  {15, "csv", "rows100.csv"},
}
local hostile = {
  {"csv", "bomb.csv.gz"}, {"json", "wide.json"}, {"csv", "columns.csv"}, {"json", "unknown.json"},
}
local ctypes = {json = "application/json", csv = "text/csv"}
local reqs, hreqs = {}, {}

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, k in ipairs(kinds) do
    table.insert(reqs, {k[1], wrk.format("POST", "/predict", {["Content-Type"] = ctypes[k[2]]}, read(k[3]))})
  end
  for _, h in ipairs(hostile) do
    table.insert(hreqs, wrk.format("POST", "/predict", {["Content-Type"] = ctypes[h[1]]}, read(h[2])))
  end
  statuses = {}
  flows = 0
  nh = 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local r = math.random(100)
  if r <= 5 then
    nh = nh + 1
    return hreqs[(nh % #hreqs) + 1]
  end
  r = r - 5
  for _, q in ipairs(reqs) do
    if r <= q[1] then
      return q[2]
    end
    r = r - q[1]
  end
  return reqs[1][2]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    local _, n = string.gsub(body, '"label":', "")
    flows = flows + n
  end
end

function done(summary, latency, requests)
  local by, total = {}, 0
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do
      by[s] = (by[s] or 0) + n
    end
    total = total + t:get("flows")
  end
  local codes = {}
  for s, n in pairs(by) do
    table.insert(codes, string.format("%d:%d", s, n))
  end
  table.sort(codes)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f socket_errors=%d status=%s flows=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, table.concat(codes, ","), total))
end
