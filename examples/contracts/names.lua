-- A name registry: claim a name for a fee, point it at an address, transfer or release it.
--   deploy:  chainlab contract deploy names.lua --args '[100]' --from KEY --wait     (price per name)
--   use:     chainlab contract invoke ADDR register '["alice"]' --amount 100 --from KEY --wait
--            chainlab contract call ADDR resolve '["alice"]'

local function valid(name)
  return type(name) == "string" and #name >= 3 and #name <= 32 and string.match(name, "^[a-z0-9%-]+$") ~= nil
end

function init(price)
  assert(math.type(price) == "integer" and price >= 0, "price is an integer")
  storage.set("price", price)
  storage.set("owner", chain.caller)
end

function register(name)
  if not valid(name) then error("names are 3 to 32 characters of a-z, 0-9 and -") end
  if storage.get("name:" .. name) then error("'" .. name .. "' is taken") end
  if chain.amount < storage.get("price") then error("registering costs " .. storage.get("price")) end
  storage.set("name:" .. name, { owner = chain.caller, target = chain.caller })
  chain.emit("Registered", { name = name, owner = chain.caller })
end

local function owned(name)
  local rec = storage.get("name:" .. tostring(name))
  if not rec then error("'" .. tostring(name) .. "' is not registered") end
  if rec.owner ~= chain.caller then error("you do not own '" .. name .. "'") end
  return rec
end

function point(name, target)
  local rec = owned(name)
  rec.target = target
  storage.set("name:" .. name, rec)
end

function give(name, new_owner)
  local rec = owned(name)
  rec.owner, rec.target = new_owner, new_owner
  storage.set("name:" .. name, rec)
  chain.emit("Transferred", { name = name, owner = new_owner })
end

function release(name)
  owned(name)
  storage.delete("name:" .. name)
  chain.emit("Released", { name = name })
end

function resolve(name)
  local rec = storage.get("name:" .. tostring(name))
  return rec and rec.target or nil
end

function withdraw()
  if chain.caller ~= storage.get("owner") then error("only the registry's owner may withdraw") end
  local amount = chain.balance()
  if amount > 0 then chain.transfer(chain.caller, amount) end
  return amount
end
