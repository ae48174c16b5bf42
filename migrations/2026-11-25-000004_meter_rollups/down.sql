DROP TABLE meter_rollups;
