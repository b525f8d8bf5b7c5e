-- POST the same body to one path. Env: TOKEN, BODY.
local token = os.getenv("TOKEN") or ""
local body = os.getenv("BODY")
function request()
  local headers = {["Content-Type"] = "application/json"}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, body)
end
