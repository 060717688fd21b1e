-- A vote: the deployer names the options and a closing height; each address votes once.
--   deploy:  chainlab contract deploy vote.lua --args '[["tea", "coffee"], 100]' --from KEY --wait
--   use:     chainlab contract invoke ADDR vote '["tea"]' --from KEY --wait
--            chainlab contract call ADDR results

function init(options, closes_at)
  assert(type(options) == "table" and #options >= 2, "give at least two options")
  assert(math.type(closes_at) == "integer", "the closing height is an integer")
  for i, o in ipairs(options) do
    assert(type(o) == "string", "options are strings")
    storage.set("option:" .. o, 0)
  end
  storage.set("options", options)
  storage.set("closes", closes_at)
  storage.set("chair", chain.caller)
end

function vote(option)
  if chain.height >= storage.get("closes") then error("the vote closed at height " .. storage.get("closes")) end
  local count = storage.get("option:" .. tostring(option))
  if count == nil then error("no such option: " .. tostring(option)) end
  if storage.get("voted:" .. chain.caller) then error("you have already voted") end
  storage.set("voted:" .. chain.caller, option)
  storage.set("option:" .. option, count + 1)
  chain.emit("Voted", { voter = chain.caller, option = option })
end

function results()
  local out = {}
  for _, o in ipairs(storage.get("options")) do out[o] = storage.get("option:" .. o) end
  return { counts = out, closes = storage.get("closes"), open = chain.height < storage.get("closes") }
end
