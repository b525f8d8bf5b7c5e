DROP TABLE supply_movements;
DROP TABLE supply_items;
