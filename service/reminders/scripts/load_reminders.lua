--! prepend reminder_records.lua
-- Reads reminder records, kept or finished.
-- ARGV after P: ids. Returns each one's bytes, or nil.
local out = {}
for i = 2, #ARGV do out[#out + 1] = load(ARGV[i]) end
return out
