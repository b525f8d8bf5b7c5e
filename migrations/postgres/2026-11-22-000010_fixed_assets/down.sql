DROP TABLE asset_disposals;
DROP TABLE fixed_assets;
