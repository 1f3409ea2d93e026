/* The SMB2 field table and its value names. Abbrevs follow Wireshark's smb2
 * dissector where it has the same field, so JSON keys read the same. */
#include "smb2_int.h"

const dt_value_name smb2_cmd_vals[] = {
    { SMB2_NEGOTIATE, "NEGOTIATE" },
    { SMB2_SESSION_SETUP, "SESSION_SETUP" },
    { SMB2_LOGOFF, "LOGOFF" },
    { SMB2_TREE_CONNECT, "TREE_CONNECT" },
    { SMB2_TREE_DISCONNECT, "TREE_DISCONNECT" },
    { SMB2_CREATE, "CREATE" },
    { SMB2_CLOSE, "CLOSE" },
    { SMB2_FLUSH, "FLUSH" },
    { SMB2_READ, "READ" },
    { SMB2_WRITE, "WRITE" },
    { SMB2_LOCK, "LOCK" },
    { SMB2_IOCTL, "IOCTL" },
    { SMB2_CANCEL, "CANCEL" },
    { SMB2_ECHO, "ECHO" },
    { SMB2_QUERY_DIRECTORY, "QUERY_DIRECTORY" },
    { SMB2_CHANGE_NOTIFY, "CHANGE_NOTIFY" },
    { SMB2_QUERY_INFO, "QUERY_INFO" },
    { SMB2_SET_INFO, "SET_INFO" },
    { SMB2_OPLOCK_BREAK, "OPLOCK_BREAK" },
    { SMB2_SERVER_TO_CLIENT_NOTIFICATION, "SERVER_TO_CLIENT_NOTIFICATION" },
    { 0, NULL },
};

const dt_value_name smb2_dialect_vals[] = {
    { 0x0202, "SMB 2.0.2" },
    { 0x0210, "SMB 2.1" },
    { 0x0222, "SMB 2.2.2" },
    { 0x0224, "SMB 2.2.4" },
    { 0x02FF, "SMB2 wildcard" },
    { 0x0300, "SMB 3.0" },
    { 0x0302, "SMB 3.0.2" },
    { 0x0310, "SMB 3.1.0" },
    { 0x0311, "SMB 3.1.1" },
    { 0, NULL },
};

/* Sorted by value (DT_FF_VALS_SORTED). */
const dt_value_name smb2_fsctl_vals[] = {
    { 0x00060194, "FSCTL_DFS_GET_REFERRALS" },
    { 0x000601B0, "FSCTL_DFS_GET_REFERRALS_EX" },
    { 0x00090000, "FSCTL_REQUEST_OPLOCK_LEVEL_1" },
    { 0x0009003C, "FSCTL_GET_COMPRESSION" },
    { 0x00090060, "FSCTL_FILESYSTEM_GET_STATISTICS" },
    { 0x00090064, "FSCTL_GET_NTFS_VOLUME_DATA" },
    { 0x0009006F, "FSCTL_GET_RETRIEVAL_POINTERS" },
    { 0x0009009C, "FSCTL_GET_OBJECT_ID" },
    { 0x000900A4, "FSCTL_SET_REPARSE_POINT" },
    { 0x000900A8, "FSCTL_GET_REPARSE_POINT" },
    { 0x000900C0, "FSCTL_CREATE_OR_GET_OBJECT_ID" },
    { 0x000900C4, "FSCTL_SET_SPARSE" },
    { 0x000900D4, "FSCTL_SET_ENCRYPTION" },
    { 0x000900DB, "FSCTL_ENCRYPTION_FSCTL_IO" },
    { 0x000900F4, "FSCTL_SIS_LINK_FILES" },
    { 0x00090100, "FSCTL_SIS_COPYFILE" },
    { 0x0009013C, "FSCTL_QUERY_ON_DISK_VOLUME_INFO" },
    { 0x00090194, "FSCTL_GET_INTEGRITY_INFORMATION" },
    { 0x000901AF, "FSCTL_QUERY_FILE_REGIONS" },
    { 0x00090300, "FSCTL_QUERY_SHARED_VIRTUAL_DISK_SUPPORT" },
    { 0x00090304, "FSCTL_SVHDX_SYNC_TUNNEL_REQUEST" },
    { 0x00090350, "FSCTL_STORAGE_QOS_CONTROL" },
    { 0x00090364, "FSCTL_SVHDX_ASYNC_TUNNEL_REQUEST" },
    { 0x000940CF, "FSCTL_QUERY_ALLOCATED_RANGES" },
    { 0x000980C8, "FSCTL_SET_ZERO_DATA" },
    { 0x00098208, "FSCTL_FILE_LEVEL_TRIM" },
    { 0x00098344, "FSCTL_DUPLICATE_EXTENTS_TO_FILE" },
    { 0x000983E8, "FSCTL_DUPLICATE_EXTENTS_TO_FILE_EX" },
    { 0x0009C040, "FSCTL_SET_COMPRESSION" },
    { 0x0009C280, "FSCTL_SET_INTEGRITY_INFORMATION" },
    { 0x00110018, "FSCTL_PIPE_WAIT" },
    { 0x0011400C, "FSCTL_PIPE_PEEK" },
    { 0x0011C017, "FSCTL_PIPE_TRANSCEIVE" },
    { 0x00140078, "FSCTL_SRV_REQUEST_RESUME_KEY" },
    { 0x001401D4, "FSCTL_LMR_REQUEST_RESILIENCY" },
    { 0x001401FC, "FSCTL_QUERY_NETWORK_INTERFACE_INFO" },
    { 0x00140204, "FSCTL_VALIDATE_NEGOTIATE_INFO" },
    { 0x00144064, "FSCTL_SRV_ENUMERATE_SNAPSHOTS" },
    { 0x001440F2, "FSCTL_SRV_COPYCHUNK" },
    { 0x001441BB, "FSCTL_SRV_READ_HASH" },
    { 0x001480F2, "FSCTL_SRV_COPYCHUNK_WRITE" },
    { 0, NULL },
};

const dt_value_name smb2_nbss_type_vals[] = {
    { 0x00, "Session message" },
    { 0x81, "Session request" },
    { 0x82, "Positive session response" },
    { 0x83, "Negative session response" },
    { 0x84, "Retarget session response" },
    { 0x85, "Session keep-alive" },
    { 0, NULL },
};

const dt_value_name smb2_smb1_cmd_vals[] = {
    { 0x72, "NEGOTIATE" },
    { 0x73, "SESSION_SETUP_ANDX" },
    { 0x75, "TREE_CONNECT_ANDX" },
    { 0xA2, "NT_CREATE_ANDX" },
    { 0x25, "TRANSACTION" },
    { 0x32, "TRANSACTION2" },
    { 0x04, "CLOSE" },
    { 0x2E, "READ_ANDX" },
    { 0x2F, "WRITE_ANDX" },
    { 0x71, "TREE_DISCONNECT" },
    { 0x74, "LOGOFF_ANDX" },
    { 0x2B, "ECHO" },
    { 0, NULL },
};

const dt_value_name smb2_neg_ctx_vals[] = {
    { 1, "SMB2_PREAUTH_INTEGRITY_CAPABILITIES" },
    { 2, "SMB2_ENCRYPTION_CAPABILITIES" },
    { 3, "SMB2_COMPRESSION_CAPABILITIES" },
    { 5, "SMB2_NETNAME_NEGOTIATE_CONTEXT_ID" },
    { 6, "SMB2_TRANSPORT_CAPABILITIES" },
    { 7, "SMB2_RDMA_TRANSFORM_CAPABILITIES" },
    { 8, "SMB2_SIGNING_CAPABILITIES" },
    { 0x100, "SMB2_POSIX_EXTENSIONS_CAPABILITIES" },
    { 0, NULL },
};

const dt_value_name smb2_hash_vals[] = {
    { 1, "SHA-512" },
    { 0, NULL },
};

const dt_value_name smb2_cipher_vals[] = {
    { 1, "AES-128-CCM" },
    { 2, "AES-128-GCM" },
    { 3, "AES-256-CCM" },
    { 4, "AES-256-GCM" },
    { 0, NULL },
};

const dt_value_name smb2_signing_vals[] = {
    { 0, "HMAC-SHA256" },
    { 1, "AES-CMAC" },
    { 2, "AES-GMAC" },
    { 0, NULL },
};

const dt_value_name smb2_comp_vals[] = {
    { 0, "None" },
    { 1, "LZNT1" },
    { 2, "LZ77" },
    { 3, "LZ77+Huffman" },
    { 4, "Pattern_V1" },
    { 0, NULL },
};

const dt_value_name smb2_share_type_vals[] = {
    { 1, "disk" },
    { 2, "pipe" },
    { 3, "print" },
    { 0, NULL },
};

const dt_value_name smb2_oplock_vals[] = {
    { 0x00, "None" },
    { 0x01, "Level II" },
    { 0x08, "Exclusive" },
    { 0x09, "Batch" },
    { 0xFF, "Lease" },
    { 0, NULL },
};

const dt_value_name smb2_impersonation_vals[] = {
    { 0, "Anonymous" },
    { 1, "Identification" },
    { 2, "Impersonation" },
    { 3, "Delegate" },
    { 0, NULL },
};

const dt_value_name smb2_disposition_vals[] = {
    { 0, "SUPERSEDE" },
    { 1, "OPEN" },
    { 2, "CREATE" },
    { 3, "OPEN_IF" },
    { 4, "OVERWRITE" },
    { 5, "OVERWRITE_IF" },
    { 0, NULL },
};

const dt_value_name smb2_create_action_vals[] = {
    { 0, "SUPERSEDED" },
    { 1, "OPENED" },
    { 2, "CREATED" },
    { 3, "OVERWRITTEN" },
    { 0, NULL },
};

const dt_value_name smb2_info_type_vals[] = {
    { 1, "FILE" },
    { 2, "FS" },
    { 3, "SECURITY" },
    { 4, "QUOTA" },
    { 0, NULL },
};

const dt_value_name smb2_file_info_vals[] = {
    { 1, "FileDirectoryInformation" },
    { 2, "FileFullDirectoryInformation" },
    { 3, "FileBothDirectoryInformation" },
    { 4, "FileBasicInformation" },
    { 5, "FileStandardInformation" },
    { 6, "FileInternalInformation" },
    { 7, "FileEaInformation" },
    { 8, "FileAccessInformation" },
    { 9, "FileNameInformation" },
    { 10, "FileRenameInformation" },
    { 11, "FileLinkInformation" },
    { 12, "FileNamesInformation" },
    { 13, "FileDispositionInformation" },
    { 14, "FilePositionInformation" },
    { 15, "FileFullEaInformation" },
    { 16, "FileModeInformation" },
    { 17, "FileAlignmentInformation" },
    { 18, "FileAllInformation" },
    { 19, "FileAllocationInformation" },
    { 20, "FileEndOfFileInformation" },
    { 21, "FileAlternateNameInformation" },
    { 22, "FileStreamInformation" },
    { 23, "FilePipeInformation" },
    { 24, "FilePipeLocalInformation" },
    { 25, "FilePipeRemoteInformation" },
    { 28, "FileCompressionInformation" },
    { 29, "FileObjectIdInformation" },
    { 31, "FileMoveClusterInformation" },
    { 32, "FileQuotaInformation" },
    { 33, "FileReparsePointInformation" },
    { 34, "FileNetworkOpenInformation" },
    { 35, "FileAttributeTagInformation" },
    { 37, "FileIdBothDirectoryInformation" },
    { 38, "FileIdFullDirectoryInformation" },
    { 39, "FileValidDataLengthInformation" },
    { 40, "FileShortNameInformation" },
    { 44, "FileSfioReserveInformation" },
    { 46, "FileHardLinkInformation" },
    { 48, "FileNormalizedNameInformation" },
    { 50, "FileIdGlobalTxDirectoryInformation" },
    { 59, "FileIdInformation" },
    { 60, "FileIdExtdDirectoryInformation" },
    { 64, "FileDispositionInformationEx" },
    { 65, "FileRenameInformationEx" },
    { 100, "SMB2_FIND_POSIX_INFORMATION" },
    { 0, NULL },
};

const dt_value_name smb2_fs_info_vals[] = {
    { 1, "FileFsVolumeInformation" },
    { 2, "FileFsLabelInformation" },
    { 3, "FileFsSizeInformation" },
    { 4, "FileFsDeviceInformation" },
    { 5, "FileFsAttributeInformation" },
    { 6, "FileFsControlInformation" },
    { 7, "FileFsFullSizeInformation" },
    { 8, "FileFsObjectIdInformation" },
    { 9, "FileFsDriverPathInformation" },
    { 10, "FileFsVolumeFlagsInformation" },
    { 11, "FileFsSectorSizeInformation" },
    { 0, NULL },
};

const dt_value_name smb2_notify_action_vals[] = {
    { 1, "ADDED" },
    { 2, "REMOVED" },
    { 3, "MODIFIED" },
    { 4, "RENAMED_OLD_NAME" },
    { 5, "RENAMED_NEW_NAME" },
    { 6, "ADDED_STREAM" },
    { 7, "REMOVED_STREAM" },
    { 8, "MODIFIED_STREAM" },
    { 0, NULL },
};

#define SMB2_FIELD_DEF(id, abbrev, name, type, base, vals, mask, flags) \
    [id] = { abbrev, name, type, base, vals, mask, flags, NULL },
const dt_field_def smb2_hf[] = { SMB2_FIELDS(SMB2_FIELD_DEF) };
#undef SMB2_FIELD_DEF
