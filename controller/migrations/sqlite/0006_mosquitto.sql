-- With Mosquitto as the broker, the controller writes its password file; Mosquitto needs its own
-- hash format (PBKDF2-SHA512, "$7$"), made when the password is known (at enrollment).
ALTER TABLE mqtt_credentials ADD COLUMN mosquitto_hash TEXT NOT NULL DEFAULT '';

-- The router's own interfaces from the last telemetry (JSON list of name, counters, running).
ALTER TABLE routers ADD COLUMN interfaces_json TEXT NOT NULL DEFAULT ''
