-- GET one fixed path. Env: TOKEN (empty: no header).
local token = os.getenv("TOKEN") or ""
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
