"""Every S3 operation, with the IAM action that authorizes it and what it targets.

Members with equal values would silently alias, so the S3 name is part of the value and
`@unique` turns a collision into an import error.
"""

from __future__ import annotations

from enum import Enum, unique


class Target(Enum):
    SERVICE, BUCKET, OBJECT = "service", "bucket", "object"


S, B, O = Target.SERVICE, Target.BUCKET, Target.OBJECT  # noqa: E741 - table shorthand


@unique
class Operation(Enum):
    def __init__(self, s3_name: str, action: str, target: Target) -> None:
        self.s3_name, self.action, self.target = s3_name, action, target

    LIST_BUCKETS = ("ListBuckets", "s3:ListAllMyBuckets", S)
    # bucket
    CREATE_BUCKET = ("CreateBucket", "s3:CreateBucket", B)
    HEAD_BUCKET = ("HeadBucket", "s3:ListBucket", B)
    DELETE_BUCKET = ("DeleteBucket", "s3:DeleteBucket", B)
    GET_BUCKET_LOCATION = ("GetBucketLocation", "s3:GetBucketLocation", B)
    LIST_OBJECTS = ("ListObjects", "s3:ListBucket", B)
    LIST_OBJECTS_V2 = ("ListObjectsV2", "s3:ListBucket", B)
    LIST_OBJECT_VERSIONS = ("ListObjectVersions", "s3:ListBucketVersions", B)
    LIST_MULTIPART_UPLOADS = ("ListMultipartUploads", "s3:ListBucketMultipartUploads", B)
    DELETE_OBJECTS = ("DeleteObjects", "s3:DeleteObject", B)
    POST_OBJECT = ("PostObject", "s3:PutObject", B)
    GET_BUCKET_VERSIONING = ("GetBucketVersioning", "s3:GetBucketVersioning", B)
    PUT_BUCKET_VERSIONING = ("PutBucketVersioning", "s3:PutBucketVersioning", B)
    GET_BUCKET_ACL = ("GetBucketAcl", "s3:GetBucketAcl", B)
    PUT_BUCKET_ACL = ("PutBucketAcl", "s3:PutBucketAcl", B)
    GET_BUCKET_POLICY = ("GetBucketPolicy", "s3:GetBucketPolicy", B)
    PUT_BUCKET_POLICY = ("PutBucketPolicy", "s3:PutBucketPolicy", B)
    DELETE_BUCKET_POLICY = ("DeleteBucketPolicy", "s3:DeleteBucketPolicy", B)
    GET_BUCKET_POLICY_STATUS = ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", B)
    GET_BUCKET_CORS = ("GetBucketCors", "s3:GetBucketCORS", B)
    PUT_BUCKET_CORS = ("PutBucketCors", "s3:PutBucketCORS", B)
    DELETE_BUCKET_CORS = ("DeleteBucketCors", "s3:PutBucketCORS", B)
    GET_BUCKET_LIFECYCLE = ("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", B)
    PUT_BUCKET_LIFECYCLE = ("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", B)
    DELETE_BUCKET_LIFECYCLE = ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", B)
    GET_BUCKET_TAGGING = ("GetBucketTagging", "s3:GetBucketTagging", B)
    PUT_BUCKET_TAGGING = ("PutBucketTagging", "s3:PutBucketTagging", B)
    DELETE_BUCKET_TAGGING = ("DeleteBucketTagging", "s3:PutBucketTagging", B)
    GET_BUCKET_ENCRYPTION = ("GetBucketEncryption", "s3:GetEncryptionConfiguration", B)
    PUT_BUCKET_ENCRYPTION = ("PutBucketEncryption", "s3:PutEncryptionConfiguration", B)
    DELETE_BUCKET_ENCRYPTION = ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration", B)
    GET_BUCKET_WEBSITE = ("GetBucketWebsite", "s3:GetBucketWebsite", B)
    PUT_BUCKET_WEBSITE = ("PutBucketWebsite", "s3:PutBucketWebsite", B)
    DELETE_BUCKET_WEBSITE = ("DeleteBucketWebsite", "s3:DeleteBucketWebsite", B)
    GET_BUCKET_LOGGING = ("GetBucketLogging", "s3:GetBucketLogging", B)
    PUT_BUCKET_LOGGING = ("PutBucketLogging", "s3:PutBucketLogging", B)
    GET_BUCKET_NOTIFICATION = ("GetBucketNotificationConfiguration", "s3:GetBucketNotification", B)
    PUT_BUCKET_NOTIFICATION = ("PutBucketNotificationConfiguration", "s3:PutBucketNotification", B)
    GET_BUCKET_REPLICATION = ("GetBucketReplication", "s3:GetReplicationConfiguration", B)
    PUT_BUCKET_REPLICATION = ("PutBucketReplication", "s3:PutReplicationConfiguration", B)
    DELETE_BUCKET_REPLICATION = ("DeleteBucketReplication", "s3:PutReplicationConfiguration", B)
    GET_BUCKET_REQUEST_PAYMENT = ("GetBucketRequestPayment", "s3:GetBucketRequestPayment", B)
    PUT_BUCKET_REQUEST_PAYMENT = ("PutBucketRequestPayment", "s3:PutBucketRequestPayment", B)
    GET_BUCKET_ACCELERATE = ("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", B)
    PUT_BUCKET_ACCELERATE = ("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", B)
    GET_OBJECT_LOCK_CONFIG = ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", B)
    PUT_OBJECT_LOCK_CONFIG = ("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", B)
    GET_PUBLIC_ACCESS_BLOCK = ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", B)
    PUT_PUBLIC_ACCESS_BLOCK = ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", B)
    DELETE_PUBLIC_ACCESS_BLOCK = ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", B)
    GET_BUCKET_OWNERSHIP = ("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", B)
    PUT_BUCKET_OWNERSHIP = ("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", B)
    DELETE_BUCKET_OWNERSHIP = ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", B)
    GET_BUCKET_ANALYTICS = ("GetBucketAnalyticsConfiguration", "s3:GetAnalyticsConfiguration", B)
    GET_BUCKET_INVENTORY = ("GetBucketInventoryConfiguration", "s3:GetInventoryConfiguration", B)
    GET_BUCKET_METRICS = ("GetBucketMetricsConfiguration", "s3:GetMetricsConfiguration", B)
    GET_BUCKET_INTELLIGENT_TIERING = ("GetBucketIntelligentTieringConfiguration",
                                      "s3:GetIntelligentTieringConfiguration", B)
    # object
    PUT_OBJECT = ("PutObject", "s3:PutObject", O)
    COPY_OBJECT = ("CopyObject", "s3:PutObject", O)  # handler also checks s3:GetObject on the source
    GET_OBJECT = ("GetObject", "s3:GetObject", O)
    HEAD_OBJECT = ("HeadObject", "s3:GetObject", O)
    DELETE_OBJECT = ("DeleteObject", "s3:DeleteObject", O)
    GET_OBJECT_ATTRIBUTES = ("GetObjectAttributes", "s3:GetObjectAttributes", O)
    GET_OBJECT_ACL = ("GetObjectAcl", "s3:GetObjectAcl", O)
    PUT_OBJECT_ACL = ("PutObjectAcl", "s3:PutObjectAcl", O)
    GET_OBJECT_TAGGING = ("GetObjectTagging", "s3:GetObjectTagging", O)
    PUT_OBJECT_TAGGING = ("PutObjectTagging", "s3:PutObjectTagging", O)
    DELETE_OBJECT_TAGGING = ("DeleteObjectTagging", "s3:DeleteObjectTagging", O)
    GET_OBJECT_RETENTION = ("GetObjectRetention", "s3:GetObjectRetention", O)
    PUT_OBJECT_RETENTION = ("PutObjectRetention", "s3:PutObjectRetention", O)
    GET_OBJECT_LEGAL_HOLD = ("GetObjectLegalHold", "s3:GetObjectLegalHold", O)
    PUT_OBJECT_LEGAL_HOLD = ("PutObjectLegalHold", "s3:PutObjectLegalHold", O)
    RESTORE_OBJECT = ("RestoreObject", "s3:RestoreObject", O)
    SELECT_OBJECT_CONTENT = ("SelectObjectContent", "s3:GetObject", O)
    GET_OBJECT_TORRENT = ("GetObjectTorrent", "s3:GetObjectTorrent", O)
    CREATE_MULTIPART_UPLOAD = ("CreateMultipartUpload", "s3:PutObject", O)
    UPLOAD_PART = ("UploadPart", "s3:PutObject", O)
    UPLOAD_PART_COPY = ("UploadPartCopy", "s3:PutObject", O)
    COMPLETE_MULTIPART_UPLOAD = ("CompleteMultipartUpload", "s3:PutObject", O)
    ABORT_MULTIPART_UPLOAD = ("AbortMultipartUpload", "s3:AbortMultipartUpload", O)
    LIST_PARTS = ("ListParts", "s3:ListMultipartUploadParts", O)
    OPTIONS_OBJECT = ("PreflightObject", "", O)  # CORS preflight, unauthenticated by design
    OPTIONS_BUCKET = ("PreflightBucket", "", B)
