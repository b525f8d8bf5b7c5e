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
