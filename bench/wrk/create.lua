-- POST an interaction to a random customer of the office's range, each request
-- with its own Idempotency-Key. Env: PREFIX, FIRST, LAST, TOKEN, BODY, KEYS
-- ("1": send Idempotency-Key), SUFFIX (the path after the id; "/interactions").
local prefix = os.getenv("PREFIX")
local first = tonumber(os.getenv("FIRST"))
local last = tonumber(os.getenv("LAST"))
local token = os.getenv("TOKEN") or ""
local body = os.getenv("BODY")
local keys = os.getenv("KEYS") == "1"
local suffix = os.getenv("SUFFIX") or "/interactions"
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(seed)
end
function request()
  counter = counter + 1
  -- wrk.format takes these headers instead of wrk.headers.
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if keys then headers["Idempotency-Key"] = "bench-" .. os.time() .. "-" .. tid .. "-" .. counter end
  return wrk.format("POST", prefix .. math.random(first, last) .. suffix, headers, body)
end
-- DELAY_MS (optional): each connection waits this long before each request,
-- holding the rate near connections × 1000 / (DELAY_MS + latency) for the p99
-- at a given load (wrk has no fixed-rate mode).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "")
if delay_ms then
  function delay() return delay_ms end
end
