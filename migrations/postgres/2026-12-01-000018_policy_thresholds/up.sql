-- Company figures a policy's rules read (a claim above this needs a pre-approval,
-- and the like), as a JSON object of name to minor units. They belong to the
-- policy, so HQ changes them through the policy API, audited and versioned with
-- it, and an office may override them with its own policy.
ALTER TABLE approval_policies ADD COLUMN thresholds_json TEXT NOT NULL DEFAULT '{}';
