-- A fungible token. The deployer receives the whole supply.
--   deploy:  chainlab contract deploy token.lua --args '["Lab Coin", "LAB", 1000000]' --from KEY --wait
--   use:     chainlab contract invoke ADDR transfer '["clRecipient...", 250]' --from KEY --wait
--            chainlab contract call ADDR balance_of '["clSomeone..."]'

local function balance(who) return storage.get("bal:" .. who) or 0 end
local function set_balance(who, v)
  if v == 0 then storage.delete("bal:" .. who) else storage.set("bal:" .. who, v) end
end

function init(name, symbol, supply)
  assert(type(name) == "string" and type(symbol) == "string", "name and symbol are strings")
  assert(math.type(supply) == "integer" and supply > 0, "supply must be a positive integer")
  storage.set("name", name)
  storage.set("symbol", symbol)
  storage.set("supply", supply)
  set_balance(chain.caller, supply)
  chain.emit("Transfer", { from = "", to = chain.caller, amount = supply })
end

function transfer(to, amount)
  assert(type(to) == "string", "recipient must be an address")
  assert(math.type(amount) == "integer" and amount > 0, "amount must be a positive integer")
  local from = chain.caller
  local have = balance(from)
  if have < amount then error("insufficient token balance: " .. have .. " < " .. amount) end
  set_balance(from, have - amount)
  set_balance(to, math.add(balance(to), amount))
  chain.emit("Transfer", { from = from, to = to, amount = amount })
  return true
end

function balance_of(who) return balance(who) end

function info()
  return { name = storage.get("name"), symbol = storage.get("symbol"), supply = storage.get("supply") }
end
