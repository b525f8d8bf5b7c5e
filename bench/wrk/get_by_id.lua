-- GET one customer by id, a random one of the office's range.
-- Env: PREFIX (path before the id), FIRST, LAST, TOKEN (empty: no header).
local prefix = os.getenv("PREFIX")
local first = tonumber(os.getenv("FIRST"))
local last = tonumber(os.getenv("LAST"))
local token = os.getenv("TOKEN") or ""
function setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args)
  math.randomseed(seed)
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end
function request()
  return wrk.format("GET", prefix .. math.random(first, last))
end
-- DELAY_MS (optional): each connection waits this long before each request,
-- holding the rate near connections × 1000 / (DELAY_MS + latency) for the p99
-- at a given load (wrk has no fixed-rate mode).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "")
if delay_ms then
  function delay() return delay_ms end
end
