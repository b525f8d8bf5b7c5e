DROP TABLE improvement_actions;
DROP TABLE survey_answers;
DROP TABLE surveys;
DROP TABLE survey_templates;
