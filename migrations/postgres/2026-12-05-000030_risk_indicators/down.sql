DROP TABLE risk_warnings;
DROP TABLE risk_indicator_values;
DROP TABLE risk_indicators;
