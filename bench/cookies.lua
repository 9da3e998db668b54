-- wrk script: each request carries the next of the logged-in sessions listed, one cookie
-- per line, in $BENCH_COOKIES; so N sessions are spread over the connections.
local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do
  cookies[#cookies + 1] = line
end
local paths = {}
local list = os.getenv("BENCH_PATHS")
if list then
  for line in io.lines(list) do paths[#paths + 1] = line end
end
local counter = math.random(1, #cookies)
request = function()
  counter = counter + 1
  local path = nil
  if #paths > 0 then path = paths[(counter % #paths) + 1] end
  return wrk.format("GET", path, { ["Cookie"] = cookies[(counter % #cookies) + 1] })
end
