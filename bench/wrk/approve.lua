-- Approve waiting approval steps, each once. Env: TOKEN, IDS (a file of
-- "approval_id version" lines). Thread k of n takes lines k, k + n, ...; a
-- thread whose share runs out prints EXHAUSTED (bench/run then fails the run
-- rather than report a rate the list cut short) and asks for /healthz.
-- run_wrk starts two threads.
local token = os.getenv("TOKEN")
local file = os.getenv("IDS")
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  items = {}
  local n = 0
  for line in io.lines(file) do
    local id, version = line:match("(%d+) (%d+)")
    if id and n % 2 == tid then table.insert(items, {id, version}) end
    n = n + 1
  end
  next_item = 0
  exhausted = false
end
function request()
  next_item = next_item + 1
  local item = items[next_item]
  if not item then
    if not exhausted then io.stderr:write("EXHAUSTED\n") end
    exhausted = true
    return wrk.format("GET", "/healthz")
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["If-Match"] = '"' .. item[2] .. '"',
  }
  return wrk.format("POST", "/api/v1/approvals/" .. item[1] .. "/approve", headers, "{}")
end
