"""Identity and access: policy documents, conditions, ACL grants and the one evaluator."""
