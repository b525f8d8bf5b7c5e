DROP TABLE supply_stocktake_lines;
DROP TABLE supply_stocktakes;
DROP TABLE asset_maintenance;
DROP TABLE asset_assignments;
DROP INDEX fixed_assets_purchase;
ALTER TABLE fixed_assets DROP COLUMN purchase_request_id;
DROP TABLE asset_purchases;
