/* SMB2/3 dissector internals: field ids, per-connection state, helpers
 * shared by the files of dissectors/smb2/. */
#ifndef DIAGTAP_SMB2_INT_H
#define DIAGTAP_SMB2_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"
#include "dissectors/auth/auth.h"

/* ---- Value-name tables (smb2_fields.c, ntstatus_table.c). */
extern const dt_value_name smb2_ntstatus_vals[];
extern const size_t smb2_ntstatus_count;
extern const dt_value_name smb2_cmd_vals[];
extern const dt_value_name smb2_dialect_vals[];
extern const dt_value_name smb2_fsctl_vals[];
extern const dt_value_name smb2_nbss_type_vals[];
extern const dt_value_name smb2_smb1_cmd_vals[];
extern const dt_value_name smb2_neg_ctx_vals[];
extern const dt_value_name smb2_hash_vals[];
extern const dt_value_name smb2_cipher_vals[];
extern const dt_value_name smb2_signing_vals[];
extern const dt_value_name smb2_comp_vals[];
extern const dt_value_name smb2_share_type_vals[];
extern const dt_value_name smb2_oplock_vals[];
extern const dt_value_name smb2_impersonation_vals[];
extern const dt_value_name smb2_disposition_vals[];
extern const dt_value_name smb2_create_action_vals[];
extern const dt_value_name smb2_info_type_vals[];
extern const dt_value_name smb2_file_info_vals[];
extern const dt_value_name smb2_fs_info_vals[];
extern const dt_value_name smb2_notify_action_vals[];

/* Field ids: X(id, abbrev, name, type, base, vals, bitmask, flags). */
#define SMB2_FIELDS(X) \
    X(F_NBSS_TYPE, "nbss.type", "NBSS Message Type", DT_FT_UINT8, DT_BASE_HEX, smb2_nbss_type_vals, 0, 0) \
    X(F_NBSS_LENGTH, "nbss.length", "NBSS Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_NBSS_CALLED, "nbss.called_name", "Called Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_NBSS_CALLING, "nbss.calling_name", "Calling Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_NBSS_ERROR, "nbss.error_code", "Error Code", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SMB1_CMD, "smb.cmd", "SMB1 Command", DT_FT_UINT8, DT_BASE_HEX, smb2_smb1_cmd_vals, 0, 0) \
    X(F_SMB1_STATUS, "smb.nt_status", "SMB1 NT Status", DT_FT_UINT32, DT_BASE_HEX, smb2_ntstatus_vals, 0, DT_FF_VALS_SORTED) \
    X(F_SMB1_FLAGS, "smb.flags", "SMB1 Flags", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SMB1_MID, "smb.mid", "SMB1 Multiplex ID", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_SMB1_DIALECT, "smb.dialect", "SMB1 Dialect", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_PROTOCOL_ID, "smb2.protocol_id", "ProtocolId", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_HEADER_LEN, "smb2.header_len", "Header Length", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CREDIT_CHARGE, "smb2.credit.charge", "Credit Charge", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_NT_STATUS, "smb2.nt_status", "NT Status", DT_FT_UINT32, DT_BASE_HEX, smb2_ntstatus_vals, 0, DT_FF_VALS_SORTED) \
    X(F_CHANNEL_SEQ, "smb2.channel_sequence", "Channel Sequence", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CMD, "smb2.cmd", "Command", DT_FT_UINT16, DT_BASE_DEC, smb2_cmd_vals, 0, 0) \
    X(F_CREDITS_REQ, "smb2.credits.requested", "Credits Requested", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CREDITS_GRANTED, "smb2.credits.granted", "Credits Granted", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_FLAGS, "smb2.flags", "Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_FLAGS_RESPONSE, "smb2.flags.response", "Response", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x1, 0) \
    X(F_FLAGS_ASYNC, "smb2.flags.async", "Async command", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x2, 0) \
    X(F_FLAGS_CHAINED, "smb2.flags.chained", "Related (chained) operation", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x4, 0) \
    X(F_FLAGS_SIGNED, "smb2.flags.signature", "Signed", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x8, 0) \
    X(F_FLAGS_PRIORITY, "smb2.flags.priority_mask", "Priority", DT_FT_UINT32, DT_BASE_HEX, NULL, 0x70, 0) \
    X(F_FLAGS_DFS, "smb2.flags.dfs", "DFS operation", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x10000000, 0) \
    X(F_FLAGS_REPLAY, "smb2.flags.replay", "Replay operation", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x20000000, 0) \
    X(F_CHAIN_OFFSET, "smb2.chain_offset", "Chain Offset", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_MSG_ID, "smb2.msg_id", "Message ID", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_AID, "smb2.aid", "Async Id", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0) \
    X(F_PID, "smb2.pid", "Process Id", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_TID, "smb2.tid", "Tree Id", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SESID, "smb2.sesid", "Session Id", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SIGNATURE, "smb2.signature", "Signature", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0) \
    X(F_TREE, "smb2.tree", "Tree", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_FILENAME, "smb2.filename", "Filename", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_ACCT, "smb2.acct", "Account", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DOMAIN, "smb2.domain", "Domain", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_HOST, "smb2.host", "Host", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_FID, "smb2.fid", "File Id", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0) \
    X(F_PIPE, "smb2.pipe", "Named pipe", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_STRUCT_SIZE, "smb2.buffer_code", "StructureSize", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_ERROR_BYTES, "smb2.error.byte_count", "Error Byte Count", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DIALECT_COUNT, "smb2.dialect_count", "Dialect count", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DIALECT, "smb2.dialect", "Dialect", DT_FT_UINT16, DT_BASE_HEX, smb2_dialect_vals, 0, 0) \
    X(F_SEC_MODE, "smb2.sec_mode", "Security mode", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SEC_SIGN_ENABLED, "smb2.sec_mode.sign_enabled", "Signing enabled", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x1, 0) \
    X(F_SEC_SIGN_REQUIRED, "smb2.sec_mode.sign_required", "Signing required", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x2, 0) \
    X(F_CAPS, "smb2.capabilities", "Capabilities", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_CAP_DFS, "smb2.capabilities.dfs", "DFS", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x1, 0) \
    X(F_CAP_LEASING, "smb2.capabilities.leasing", "Leasing", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x2, 0) \
    X(F_CAP_LARGE_MTU, "smb2.capabilities.large_mtu", "Large MTU", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x4, 0) \
    X(F_CAP_MULTI_CHANNEL, "smb2.capabilities.multi_channel", "Multi channel", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x8, 0) \
    X(F_CAP_PERSISTENT, "smb2.capabilities.persistent_handles", "Persistent handles", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x10, 0) \
    X(F_CAP_DIR_LEASING, "smb2.capabilities.directory_leasing", "Directory leasing", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x20, 0) \
    X(F_CAP_ENCRYPTION, "smb2.capabilities.encryption", "Encryption", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x40, 0) \
    X(F_CLIENT_GUID, "smb2.client_guid", "Client Guid", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0) \
    X(F_SERVER_GUID, "smb2.server_guid", "Server Guid", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0) \
    X(F_MAX_TRANS, "smb2.max_trans_size", "Max Transaction Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_MAX_READ, "smb2.max_read_size", "Max Read Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_MAX_WRITE, "smb2.max_write_size", "Max Write Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_NEG_CTX_TYPE, "smb2.negotiate_context.type", "Negotiate Context Type", DT_FT_UINT16, DT_BASE_HEX, smb2_neg_ctx_vals, 0, 0) \
    X(F_NEG_HASH, "smb2.negotiate_context.hash_algorithm", "Preauth Hash Algorithm", DT_FT_UINT16, DT_BASE_HEX, smb2_hash_vals, 0, 0) \
    X(F_NEG_CIPHER, "smb2.negotiate_context.cipher_id", "Cipher", DT_FT_UINT16, DT_BASE_HEX, smb2_cipher_vals, 0, 0) \
    X(F_NEG_SIGNING, "smb2.negotiate_context.signing_id", "Signing Algorithm", DT_FT_UINT16, DT_BASE_HEX, smb2_signing_vals, 0, 0) \
    X(F_NEG_COMP, "smb2.negotiate_context.comp_alg_id", "Compression Algorithm", DT_FT_UINT16, DT_BASE_HEX, smb2_comp_vals, 0, 0) \
    X(F_NEG_NETNAME, "smb2.negotiate_context.netname", "Netname", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_SES_REQ_FLAGS, "smb2.ses_req_flags", "Session Setup Flags", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0) \
    X(F_PREV_SESID, "smb2.previous_sesid", "Previous Session Id", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SES_FLAGS, "smb2.session_flags", "Session Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SES_GUEST, "smb2.ses_flags.guest", "Guest", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x1, 0) \
    X(F_SES_NULL, "smb2.ses_flags.null", "Null (anonymous)", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x2, 0) \
    X(F_SES_ENCRYPT, "smb2.ses_flags.encrypt", "Encrypt data", DT_FT_BOOL, DT_BASE_NONE, NULL, 0x4, 0) \
    X(F_SEC_BLOB_LEN, "smb2.security_blob_len", "Security Blob Length", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_TC_FLAGS, "smb2.tc.flags", "Tree Connect Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SHARE_TYPE, "smb2.share_type", "Share Type", DT_FT_UINT8, DT_BASE_HEX, smb2_share_type_vals, 0, 0) \
    X(F_SHARE_FLAGS, "smb2.share_flags", "Share flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SHARE_CAPS, "smb2.share_caps", "Share Capabilities", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_MAX_ACCESS, "smb2.max_access", "Maximal Access", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_OPLOCK, "smb2.create.oplock", "Oplock", DT_FT_UINT8, DT_BASE_HEX, smb2_oplock_vals, 0, 0) \
    X(F_IMPERSONATION, "smb2.impersonation.level", "Impersonation level", DT_FT_UINT32, DT_BASE_DEC, smb2_impersonation_vals, 0, 0) \
    X(F_ACCESS_MASK, "smb2.access_mask", "Desired Access", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_FILE_ATTR, "smb2.file_attribute", "File Attributes", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SHARE_ACCESS, "smb2.share_access", "Share Access", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_DISPOSITION, "smb2.create.disposition", "Disposition", DT_FT_UINT32, DT_BASE_DEC, smb2_disposition_vals, 0, 0) \
    X(F_CREATE_OPTIONS, "smb2.create_options", "Create Options", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_CREATE_CONTEXT, "smb2.create.context", "Create Context", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_CREATE_ACTION, "smb2.create.action", "Create Action", DT_FT_UINT32, DT_BASE_DEC, smb2_create_action_vals, 0, 0) \
    X(F_CREATE_TIME, "smb2.create.time", "Create", DT_FT_ABSTIME, DT_BASE_NONE, NULL, 0, 0) \
    X(F_LAST_WRITE, "smb2.last_write.time", "Last Write", DT_FT_ABSTIME, DT_BASE_NONE, NULL, 0, 0) \
    X(F_ALLOC_SIZE, "smb2.allocation_size", "Allocation Size", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_EOF, "smb2.eof", "End Of File", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CLOSE_FLAGS, "smb2.close.flags", "Close Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_FILE_OFFSET, "smb2.file_offset", "File Offset", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_READ_LENGTH, "smb2.read_length", "Read Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_MIN_COUNT, "smb2.min_count", "Minimum Count", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_READ_REMAINING, "smb2.read_remaining", "Read Remaining", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DATA_OFFSET, "smb2.data_offset", "Data Offset", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_WRITE_LENGTH, "smb2.write_length", "Write Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_WRITE_COUNT, "smb2.write.count", "Write Count", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_WRITE_FLAGS, "smb2.write.flags", "Write Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_LOCK_COUNT, "smb2.lock_count", "Lock Count", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_LOCK_INFO, "smb2.lock_info", "Lock Info", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0) \
    X(F_LOCK_LENGTH, "smb2.lock_length", "Lock Length", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_LOCK_FLAGS, "smb2.lock_flags", "Lock Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_IOCTL_FUNCTION, "smb2.ioctl.function", "Function", DT_FT_UINT32, DT_BASE_HEX, smb2_fsctl_vals, 0, DT_FF_VALS_SORTED) \
    X(F_IOCTL_FLAGS, "smb2.ioctl.flags", "IOCTL Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_IOCTL_IN_LEN, "smb2.ioctl.in_len", "Input Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_IOCTL_OUT_LEN, "smb2.ioctl.out_len", "Output Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_MAX_IOCTL_OUT, "smb2.max_ioctl_out_size", "Max Ioctl Out Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_WAIT_TIMEOUT, "smb2.fsctl.wait.timeout", "Pipe Wait Timeout", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0) \
    X(F_WAIT_NAME, "smb2.fsctl.wait.name", "Pipe Wait Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DFS_LEVEL, "smb2.dfs.max_referral_level", "Max Referral Level", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DFS_PATH, "smb2.dfs.path", "DFS Path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DFS_PATH_CONSUMED, "smb2.dfs.path_consumed", "Path Consumed", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DFS_NUM_REFERRALS, "smb2.dfs.num_referrals", "Number of Referrals", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DFS_REFERRAL, "smb2.dfs.referral", "Referral", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DFS_REF_VERSION, "smb2.dfs.referral.version", "Referral Version", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DFS_REF_TTL, "smb2.dfs.referral.ttl", "Time To Live", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_DFS_REF_PATH, "smb2.dfs.referral.path", "Referral DFS Path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DFS_REF_NODE, "smb2.dfs.referral.node", "Referral Target", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_FIND_LEVEL, "smb2.find.infolevel", "Info Level", DT_FT_UINT32, DT_BASE_DEC, smb2_file_info_vals, 0, 0) \
    X(F_FIND_FLAGS, "smb2.find.flags", "Find Flags", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0) \
    X(F_FIND_PATTERN, "smb2.find.pattern", "Search Pattern", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_FIND_ENTRIES, "smb2.find.entries", "Entries Returned", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_FIND_NAME, "smb2.find.name", "Entry Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_OUTPUT_LEN, "smb2.output_buffer_len", "Output Buffer Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_NOTIFY_FLAGS, "smb2.notify.flags", "Notify Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_NOTIFY_FILTER, "smb2.notify.completion_filter", "Completion Filter", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_NOTIFY_ACTION, "smb2.notify.action", "Notify Action", DT_FT_UINT32, DT_BASE_DEC, smb2_notify_action_vals, 0, 0) \
    X(F_INFO_TYPE, "smb2.class", "Info Type", DT_FT_UINT8, DT_BASE_DEC, smb2_info_type_vals, 0, 0) \
    X(F_FILE_INFO_LEVEL, "smb2.file_info.infolevel", "File Info Class", DT_FT_UINT8, DT_BASE_DEC, smb2_file_info_vals, 0, 0) \
    X(F_FS_INFO_LEVEL, "smb2.fs_info.infolevel", "FS Info Class", DT_FT_UINT8, DT_BASE_DEC, smb2_fs_info_vals, 0, 0) \
    X(F_INFO_LEVEL, "smb2.infolevel", "Info Class", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0) \
    X(F_ADDITIONAL, "smb2.getsetinfo_additional", "Additional Info", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_SETINFO_SIZE, "smb2.setinfo_size", "Setinfo Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_RENAME_TARGET, "smb2.rename.target", "Rename Target", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0) \
    X(F_REPLACE_IF, "smb2.rename.replace_if", "Replace If Exists", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0) \
    X(F_DELETE_ON_CLOSE, "smb2.disposition.delete_on_close", "Delete on close", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0) \
    X(F_LEASE_KEY, "smb2.lease.lease_key", "Lease Key", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0) \
    X(F_LEASE_STATE, "smb2.lease.lease_state", "Lease State", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0) \
    X(F_TR_SIGNATURE, "smb2.header.transform.signature", "Transform Signature", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0) \
    X(F_TR_NONCE, "smb2.header.transform.nonce", "Nonce", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0) \
    X(F_TR_MSG_SIZE, "smb2.header.transform.msg_size", "Original Message Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_TR_FLAGS, "smb2.header.transform.flags", "Transform Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_TR_ENC_LEN, "smb2.header.transform.enc_len", "Encrypted Data Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_TR_DECRYPTED, "smb2.header.transform.decrypted", "Decrypted", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0) \
    X(F_CT_ORIG_SIZE, "smb2.header.comp_transform.original_size", "Original Size", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CT_ALG, "smb2.header.comp_transform.comp_alg", "Compression Algorithm", DT_FT_UINT16, DT_BASE_HEX, smb2_comp_vals, 0, 0) \
    X(F_CT_FLAGS, "smb2.header.comp_transform.flags", "Compression Flags", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0) \
    X(F_CT_OFFSET, "smb2.header.comp_transform.offset", "Offset / Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_CT_COMP_LEN, "smb2.header.comp_transform.comp_len", "Compressed Length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0) \
    X(F_INTERIM, "smb2.interim", "Interim response (STATUS_PENDING)", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0) \
    X(F_CANCEL_OF, "smb2.cancel_of", "Cancels message", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0)

#define SMB2_FIELD_ENUM(id, ...) id,
enum smb2_field_id { SMB2_FIELDS(SMB2_FIELD_ENUM) F_SMB2_COUNT };
#undef SMB2_FIELD_ENUM

extern const dt_field_def smb2_hf[];
#define HF(id) (&smb2_hf[id])

/* ---- SMB2 command codes. */
enum {
    SMB2_NEGOTIATE = 0, SMB2_SESSION_SETUP, SMB2_LOGOFF, SMB2_TREE_CONNECT, SMB2_TREE_DISCONNECT,
    SMB2_CREATE, SMB2_CLOSE, SMB2_FLUSH, SMB2_READ, SMB2_WRITE, SMB2_LOCK, SMB2_IOCTL, SMB2_CANCEL,
    SMB2_ECHO, SMB2_QUERY_DIRECTORY, SMB2_CHANGE_NOTIFY, SMB2_QUERY_INFO, SMB2_SET_INFO,
    SMB2_OPLOCK_BREAK, SMB2_SERVER_TO_CLIENT_NOTIFICATION,
};

/* Marks the pairing blob of an SMB1 NEGOTIATE answered by SMB2. */
#define SMB2_CMD_SMB1_NEGOTIATE 0xFFFFu

#define SMB2_FLAGS_RESPONSE 0x1u
#define SMB2_FLAGS_ASYNC 0x2u
#define SMB2_FLAGS_RELATED 0x4u
#define SMB2_FLAGS_SIGNED 0x8u

#define STATUS_SUCCESS 0x00000000u
#define STATUS_PENDING 0x00000103u
#define STATUS_MORE_PROCESSING_REQUIRED 0xC0000016u
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_NO_MORE_FILES 0x80000006u

#define FSCTL_DFS_GET_REFERRALS 0x00060194u
#define FSCTL_PIPE_PEEK 0x0011400Cu
#define FSCTL_PIPE_WAIT 0x00110018u
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define FSCTL_DFS_GET_REFERRALS_EX 0x000601B0u

/* ---- Per-connection state. Fixed-size tables: a connection's memory is
 * bounded; when a table is full the least recently used entry goes. */
#define SMB2_PATH_MAX 240
#define SMB2_MAX_SESSIONS 8
#define SMB2_MAX_TREES 32
#define SMB2_MAX_FILES 128
#define SMB2_MAX_ASYNC 16

typedef struct smb2_session {
    uint64_t id;
    uint64_t used;
    char user[96]; /* "DOMAIN\user" */
    /* SMB3 decryption (smb2_crypt.c): [0] client→server, [1] server→client */
    bool have_keys;
    uint16_t cipher;
    dt_cipher enc[2];
    char key_note[96]; /* why there are no keys */
} smb2_session;

typedef struct smb2_tree {
    uint64_t sesid;
    uint32_t tid;
    uint8_t share_type; /* 1 disk, 2 pipe, 3 print */
    uint64_t used;
    char path[128]; /* \\server\share */
} smb2_tree;

typedef struct smb2_file {
    uint8_t fid[16];
    bool in_use;
    bool is_pipe;
    uint64_t used;
    uint64_t stream_key;
    char path[SMB2_PATH_MAX]; /* \\server\share\dir\name */
    char pipe[32];            /* lowercase pipe name ("srvsvc") when is_pipe */
} smb2_file;

typedef struct smb2_async {
    uint64_t aid, msg_id;
    uint16_t cmd;
    bool in_use;
} smb2_async;

typedef struct smb2_conv {
    uint64_t clock; /* LRU counter */
    smb2_session sessions[SMB2_MAX_SESSIONS];
    smb2_tree trees[SMB2_MAX_TREES];
    /* open files: grown on demand up to SMB2_MAX_FILES (a connection that
     * opens few files costs little); slots at files_hi and above were never used */
    smb2_file *files;
    size_t files_cap, files_hi;
    smb2_async asyncs[SMB2_MAX_ASYNC];
    uint16_t dialect;
    dt_auth_state auth; /* the SESSION_SETUP exchange in progress (dissectors/auth) */
    uint16_t cipher;    /* SMB 3.1.1 cipher chosen by NEGOTIATE (1..4) */
    /* SMB 3.1.1 preauthentication integrity: the connection's hash after
     * NEGOTIATE, and the one of the SESSION_SETUP exchange in progress. */
    bool preauth_ok, setup_active;
    uint64_t setup_sesid;
    uint8_t preauth_conn[64];
    uint8_t preauth_setup[64];
} smb2_conv;

smb2_session *smb2_session_find(smb2_conv *c, uint64_t id);
smb2_session *smb2_session_add(smb2_conv *c, uint64_t id);
void smb2_session_del(smb2_conv *c, uint64_t id);
smb2_tree *smb2_tree_find(smb2_conv *c, uint64_t sesid, uint32_t tid);
smb2_tree *smb2_tree_add(smb2_conv *c, uint64_t sesid, uint32_t tid);
void smb2_tree_del(smb2_conv *c, uint64_t sesid, uint32_t tid);
smb2_file *smb2_file_find(smb2_conv *c, const uint8_t fid[16]);
/* NULL only when no slot can be had (out of memory before the first). */
smb2_file *smb2_file_add(smb2_conv *c, const uint8_t fid[16]);
void smb2_file_del(smb2_conv *c, const uint8_t fid[16]);
void smb2_file_free_all(smb2_conv *c);
void smb2_async_add(smb2_conv *c, uint64_t aid, uint64_t msg_id, uint16_t cmd);
smb2_async *smb2_async_find(smb2_conv *c, uint64_t aid);

/* ---- What a request leaves for its response (the pairing blob). */
typedef struct smb2_req {
    uint16_t cmd;
    uint8_t info_type, info_class;
    uint32_t ctl_code;
    uint32_t length;     /* READ/WRITE length, IOCTL input */
    uint64_t offset;
    bool have_fid;
    uint8_t fid[16];
    char path[SMB2_PATH_MAX]; /* CREATE: full path opened; TREE_CONNECT: the tree */
    char desc[SMB2_PATH_MAX + 64]; /* the request's summary after the command name */
} smb2_req;

/* One SMB2 message of a chain being decoded. */
typedef struct smb2_msg {
    dt_cursor c;        /* the whole message, header included */
    dt_field *root;     /* where fields go (NULL: top level) */
    uint16_t cmd;
    uint32_t status;
    uint32_t flags;
    uint64_t msg_id, aid, sesid;
    uint32_t tid;
    bool response, async;
    smb2_req *req;      /* response: what the request left (NULL if unseen) */
    smb2_req *new_req;  /* request: the blob to fill */
    bool bad_range;     /* a buffer offset/length pointed outside the message */
    char desc[SMB2_PATH_MAX + 64]; /* summary text after the command name */
    char result[160];              /* response: what follows the arrow */
} smb2_msg;

/* Across the messages of one compound chain: related operations inherit the
 * FileId of the previous CREATE (an all-ones FileId on the wire). */
typedef struct smb2_chain {
    char last_path[SMB2_PATH_MAX];
    bool have_fid;
    uint8_t last_fid[16];
    bool last_is_pipe;
} smb2_chain;

/* smb2_body.c: decodes the body of one message after the 64-byte header. */
void smb2_dissect_body(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);

/* Command decoders (smb2_negotiate.c, smb2_session.c, smb2_file.c,
 * smb2_ioctl.c, smb2_info.c). */
void smb2_cmd_negotiate(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);
void smb2_cmd_session_setup(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);
void smb2_cmd_logoff(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);
void smb2_cmd_tree_connect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);
void smb2_cmd_tree_disconnect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);
void smb2_cmd_create(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_close(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_flush(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_read(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_write(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_lock(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_ioctl(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_query_directory(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_change_notify(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_query_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_set_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_oplock_break(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain);
void smb2_cmd_cancel(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m);

/* Shared decoding helpers (smb2_util.c). */
extern const uint8_t smb2_fid_related[16]; /* all ones: "the FileId of the previous CREATE" */
/* A cursor over [off, off+len) of the message (len SIZE_MAX: to its end);
 * empty and marked in m->bad_range when that is outside the message. */
dt_cursor smb2_msg_range(smb2_msg *m, size_t off, size_t len);
void smb2_add_nttime(dt_ctx *ctx, const dt_field_def *f, dt_cursor *c);
void smb2_read_fid(dt_ctx *ctx, dt_cursor *c, uint8_t fid[16]);
const char *smb2_tree_path(smb2_conv *conv, const smb2_msg *m, char *buf, size_t sz);
/* The display path of a FileId (buf holds a "fid 0x…" fallback); *out is the
 * open file when known. */
const char *smb2_fid_path(dt_ctx *ctx, smb2_conv *conv, const smb2_msg *m, const smb2_chain *chain,
                          const uint8_t fid[16], smb2_file **out, char *buf, size_t sz);
uint64_t smb2_fid_key(const uint8_t fid[16]);
void smb2_pipe_name(const char *name, char *out, size_t sz);
bool smb2_tree_is_ipc(const smb2_tree *t);
void smb2_pipe_data(dt_ctx *ctx, smb2_file *f, dt_dir dir, dt_cursor data);
void smb2_dialect_list(dt_ctx *ctx, dt_cursor *c, unsigned n, char *out, size_t sz);
void smb2_add_sec_mode(dt_ctx *ctx, dt_cursor *c, uint16_t *mode, size_t width);
void smb2_add_caps(dt_ctx *ctx, dt_cursor *c, uint32_t *caps);


/* SMB3 decryption (smb2_crypt.c). */
void smb2_preauth_update(smb2_conv *conv, const smb2_msg *m, const uint8_t *msg, size_t len);
/* At a successful SESSION_SETUP: the session's keys from conv->auth. */
void smb2_session_keys(smb2_conv *conv, smb2_session *s);
void smb2_session_close_keys(smb2_session *s);
/* In place; hdr is the 52-byte transform header. 0, or -1 with why. */
int smb2_decrypt(smb2_session *s, dt_dir dir, const uint8_t hdr[52], uint8_t *data, size_t len, char *why,
                 size_t whysz);

/* Helpers (smb2.c). */
const char *smb2_status_name(uint32_t status, char buf[16]);
const char *smb2_cmd_name(uint16_t cmd);
/* Copies src into dst (size sz), truncating; always NUL-terminates. */
void smb2_copy(char *dst, size_t sz, const char *src);
void smb2_appendf(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads nbytes of UTF-16 at PDU offset off inside the message cursor. */
size_t smb2_utf16_at(const dt_cursor *msg, size_t off, size_t nbytes, char *out, size_t outsz);

/* The DCE/RPC dissector (dcerpc.c). */
int dt_dcerpc_register(dt_registry *reg);

#endif
