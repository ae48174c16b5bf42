DROP TABLE usage_model_rollups;
