"""One class per S3 error code; the class name is the code.

Handlers raise these (or domain errors, mapped through `DOMAIN_TO_S3`); `s3/app.py`
renders them once, with the request id, so no handler formats an error itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rucket.core import errors as core


class S3Error(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "InternalError"
    default_message: ClassVar[str] = "We encountered an internal error. Please try again."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__dict__.get("code", cls.__name__)  # own value or the class name, never the parent's

    def __init__(self, message: str = "", *, resource: str = "", headers: Mapping[str, str] | None = None,
                 **extra: str) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.resource = resource
        self.extra = extra  # rendered as extra elements: <BucketName>, <Key>, <Region>, ...
        self.headers = dict(headers or {})


class InternalError(S3Error):
    pass


class S3NotImplemented(S3Error):  # "NotImplemented" would shadow a builtin
    status, code = 501, "NotImplemented"
    default_message = "A header you provided implies functionality that is not implemented."


class AccessDenied(S3Error):
    status, default_message = 403, "Access Denied"


class AllAccessDisabled(S3Error):
    status, default_message = 403, "All access to this resource has been disabled."


class InvalidAccessKeyId(S3Error):
    status = 403
    default_message = "The AWS Access Key Id you provided does not exist in our records."


class SignatureDoesNotMatch(S3Error):
    status = 403
    default_message = ("The request signature we calculated does not match the signature you provided. "
                       "Check your key and signing method.")


class RequestTimeTooSkewed(S3Error):
    status = 403
    default_message = "The difference between the request time and the current time is too large."


class ExpiredToken(S3Error):
    status, default_message = 400, "The provided token has expired."


class AuthorizationHeaderMalformed(S3Error):
    status, default_message = 400, "The authorization header is malformed."


class AuthorizationQueryParametersError(S3Error):
    status, default_message = 400, "Error parsing the X-Amz-Credential parameter."


class MissingSecurityHeader(S3Error):
    status, default_message = 400, "Your request is missing a required header."


class InvalidArgument(S3Error):
    status, default_message = 400, "Invalid Argument"


class InvalidRequest(S3Error):
    status, default_message = 400, "Invalid Request"


class InvalidDigest(S3Error):
    status, default_message = 400, "The Content-MD5 you specified is not valid."


class BadDigest(S3Error):
    status, default_message = 400, "The Content-MD5 or checksum you specified did not match what we received."


class XAmzContentSHA256Mismatch(S3Error):
    status = 400
    default_message = "The provided 'x-amz-content-sha256' header does not match what was computed."


class IncompleteBody(S3Error):
    status = 400
    default_message = "You did not provide the number of bytes specified by the Content-Length HTTP header."


class MissingContentLength(S3Error):
    status, default_message = 411, "You must provide the Content-Length HTTP header."


class EntityTooLarge(S3Error):
    status, default_message = 400, "Your proposed upload exceeds the maximum allowed object size."


class EntityTooSmall(S3Error):
    status, default_message = 400, "Your proposed upload is smaller than the minimum allowed object size."


class MalformedXML(S3Error):
    status = 400
    default_message = "The XML you provided was not well-formed or did not validate against our published schema."


class InvalidBucketName(S3Error):
    status, default_message = 400, "The specified bucket is not valid."


class KeyTooLongError(S3Error):
    status, default_message = 400, "Your key is too long"


class InvalidURI(S3Error):
    status, default_message = 400, "Couldn't parse the specified URI."


class InvalidLocationConstraint(S3Error):
    status, default_message = 400, "The specified location-constraint is not valid."


class IllegalLocationConstraintException(S3Error):
    status = 400
    default_message = "The unspecified location constraint is incompatible for the region specific endpoint."


class MethodNotAllowed(S3Error):
    status, default_message = 405, "The specified method is not allowed against this resource."


class NoSuchBucket(S3Error):
    status, default_message = 404, "The specified bucket does not exist."


class NoSuchKey(S3Error):
    status, default_message = 404, "The specified key does not exist."


class NoSuchVersion(S3Error):
    status, default_message = 404, "The specified version does not exist."


class NoSuchUpload(S3Error):
    status = 404
    default_message = ("The specified upload does not exist. The upload ID may be invalid, "
                       "or the upload may have been aborted or completed.")


class InvalidPart(S3Error):
    status = 400
    default_message = ("One or more of the specified parts could not be found. The part might not have been "
                       "uploaded, or the specified entity tag might not have matched the part's entity tag.")


class InvalidPartOrder(S3Error):
    status = 400
    default_message = "The list of parts was not in ascending order. Parts must be ordered by part number."


class BucketAlreadyExists(S3Error):
    status = 409
    default_message = ("The requested bucket name is not available. The bucket namespace is shared by all "
                       "users of the system. Please select a different name and try again.")


class BucketAlreadyOwnedByYou(S3Error):
    status = 409
    default_message = "Your previous request to create the named bucket succeeded and you already own it."


class BucketNotEmpty(S3Error):
    status, default_message = 409, "The bucket you tried to delete is not empty"


class OperationAborted(S3Error):
    status = 409
    default_message = "A conflicting conditional operation is currently in progress against this resource."


class PreconditionFailed(S3Error):
    status, default_message = 412, "At least one of the pre-conditions you specified did not hold"


class NotModified(S3Error):
    status, default_message = 304, "Not Modified"


class InvalidRange(S3Error):
    status, default_message = 416, "The requested range is not satisfiable"


class SlowDown(S3Error):
    status, default_message = 503, "Please reduce your request rate."


class ServiceUnavailable(S3Error):
    status, default_message = 503, "Service is unable to handle request."


# ---- identity and access ----------------------------------------------------
class MalformedPolicy(S3Error):
    status, default_message = 400, "Policies must be valid JSON and the first byte must be '{'"


class NoSuchBucketPolicy(S3Error):
    status, default_message = 404, "The bucket policy does not exist"


class MalformedACLError(S3Error):
    status = 400
    default_message = "The XML you provided was not well-formed or did not validate against our published schema"


class UnresolvableGrantByEmailAddress(S3Error):
    status = 400
    default_message = "The e-mail address you provided does not match any account on record."


class AccessControlListNotSupported(S3Error):
    status, default_message = 400, "The bucket does not allow ACLs"


class InvalidBucketAclWithObjectOwnership(S3Error):
    status = 400
    default_message = "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"


class UnexpectedContent(S3Error):
    status, default_message = 400, "This request does not support content"


class InvalidPolicyDocument(S3Error):
    status, default_message = 400, "Invalid Policy: the policy document is not valid"


# ---- bucket configuration, versioning, tagging, CORS -------------------------
class InvalidTag(S3Error):
    status, default_message = 400, "The tag provided was not a valid tag."


class InvalidBucketState(S3Error):
    status, default_message = 409, "The request is not valid with the current state of the bucket."


class NoSuchTagSet(S3Error):
    status, default_message = 404, "The TagSet does not exist"


class NoSuchCORSConfiguration(S3Error):
    status, default_message = 404, "The CORS configuration does not exist"


class NoSuchLifecycleConfiguration(S3Error):
    status, default_message = 404, "The lifecycle configuration does not exist"


class NoSuchPublicAccessBlockConfiguration(S3Error):
    status, default_message = 404, "The public access block configuration was not found"


class OwnershipControlsNotFoundError(S3Error):
    status, default_message = 404, "The bucket ownership controls were not found"


class ServerSideEncryptionConfigurationNotFoundError(S3Error):
    status, default_message = 404, "The server side encryption configuration was not found"


class NoSuchWebsiteConfiguration(S3Error):
    status, default_message = 404, "The specified bucket does not have a website configuration"


class NoSuchConfiguration(S3Error):
    status, default_message = 404, "The specified configuration does not exist."


class AccessForbidden(S3Error):  # CORS preflight refused
    status, default_message = 403, "CORSResponse: This CORS request is not allowed."


class BadRequest(S3Error):  # CORS preflight without Origin / Access-Control-Request-Method
    status, default_message = 400, "Insufficient information. Origin request header needed."


# ---- object lock ------------------------------------------------------------
class InvalidRetentionPeriod(S3Error):
    status, default_message = 400, "The retention period specified is invalid."


class ObjectLockConfigurationNotFoundError(S3Error):
    status, default_message = 404, "Object Lock configuration does not exist for this bucket"


class NoSuchObjectLockConfiguration(S3Error):
    status, default_message = 404, "The specified object does not have a ObjectLock configuration"


# ---- server-side encryption (s3/handlers/encryption.py) ---------------------------------
class InvalidEncryptionAlgorithmError(S3Error):
    status, default_message = 400, "The encryption request you specified is not valid. The valid value is AES256."


class KmsNotFound(S3Error):
    status, code, default_message = 400, "KMS.NotFoundException", "Invalid keyId"


class KmsDisabled(S3Error):
    status, code, default_message = 400, "KMS.DisabledException", "The KMS key is disabled"


DOMAIN_TO_S3: Mapping[type[core.DomainError], type[S3Error]] = {
    core.InvalidBucketName: InvalidBucketName,
    core.KeyTooLong: KeyTooLongError,
    core.InvalidKey: InvalidArgument,
    core.BucketNotFound: NoSuchBucket,
    core.BucketAlreadyExists: BucketAlreadyExists,
    core.BucketAlreadyOwnedByYou: BucketAlreadyOwnedByYou,
    core.BucketNotEmpty: BucketNotEmpty,
    core.KeyNotFound: NoSuchKey,
    core.NoSuchUpload: NoSuchUpload,
    core.InvalidPart: InvalidPart,
    core.InvalidPartOrder: InvalidPartOrder,
    core.EntityTooSmall: EntityTooSmall,
    core.VersionNotFound: NoSuchVersion,
    core.PreconditionFailed: PreconditionFailed,
    core.NotModified: NotModified,
    core.InvalidRange: InvalidRange,
    core.BadDigest: BadDigest,
    core.IncompleteBody: IncompleteBody,
    core.EntityTooLarge: EntityTooLarge,
    core.CorruptBlob: InternalError,
    core.Unavailable: ServiceUnavailable,
    core.InvalidArgument: InvalidArgument,
    core.InvalidRequest: InvalidRequest,
    core.InvalidTag: InvalidTag,
    core.InvalidBucketState: InvalidBucketState,
    core.ObjectLocked: AccessDenied,
    core.InvalidRetentionPeriod: InvalidRetentionPeriod,
    core.MalformedConfiguration: MalformedXML,
    core.EncryptionKeyMismatch: AccessDenied,  # SSE-C: another key than the object's, as AWS answers
    core.KmsKeyNotFound: KmsNotFound,
    core.KmsKeyDisabled: KmsDisabled,
}


def from_domain(exc: core.DomainError, resource: str = "") -> S3Error:
    """Translate an engine error; unmapped ones become a 500 whose text is not leaked."""
    cls = next((DOMAIN_TO_S3[c] for c in type(exc).__mro__ if c in DOMAIN_TO_S3), InternalError)
    return cls("" if cls is InternalError else str(exc), resource=resource)


class MalformedTrailerError(S3Error):  # aws-chunked trailer missing, undeclared or unparsable
    status = 400
    default_message = ("The request contained trailing data that was not well-formed or did not conform "
                       "to our published schema.")


class InvalidChunkSizeError(S3Error):  # signed aws-chunked: only the last chunk may be under 8 KiB
    status, default_message = 403, "Only the last chunk is allowed to have a size less than 8192 bytes"


class IllegalVersioningConfigurationException(S3Error):  # MinIO's answer to a bad ExcludedPrefixes
    status, default_message = 400, "The versioning configuration specified in the request is invalid."


class RequestHeaderSectionTooLarge(S3Error):  # AWS: the request header section is limited to 8 KB
    status, default_message = 400, "Your request header section exceeds the maximum size allowed."
