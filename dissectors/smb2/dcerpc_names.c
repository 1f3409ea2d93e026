/* DCE/RPC interface UUIDs and operation names for the interfaces Windows and
 * Samba serve over named pipes ([MS-SRVS], [MS-WKST], [MS-LSAD], [MS-SAMR],
 * [MS-NRPC], [MS-RRP], [MS-SCMR], [C706] epmapper, [MS-RPRN], [MS-EVEN]).
 * Operation names follow Samba's and Wireshark's IDL names. */
#include "dcerpc_int.h"

static const char *const srvsvc_ops[] = {
    "NetCharDevEnum", "NetCharDevGetInfo", "NetCharDevControl", "NetCharDevQEnum", "NetCharDevQGetInfo",
    "NetCharDevQSetInfo", "NetCharDevQPurge", "NetCharDevQPurgeSelf", "NetConnEnum", "NetFileEnum",
    "NetFileGetInfo", "NetFileClose", "NetSessEnum", "NetSessDel", "NetShareAdd", "NetShareEnumAll",
    "NetShareGetInfo", "NetShareSetInfo", "NetShareDel", "NetShareDelSticky", "NetShareCheck",
    "NetSrvGetInfo", "NetSrvSetInfo", "NetDiskEnum", "NetServerStatisticsGet", "NetTransportAdd",
    "NetTransportEnum", "NetTransportDel", "NetRemoteTOD", "NetSetServiceBits", "NetPathType",
    "NetPathCanonicalize", "NetPathCompare", "NetNameValidate", "NetPRNameCompare", "NetPRNameCompare",
    "NetShareEnum", "NetShareDelStart", "NetShareDelCommit", "NetGetFileSecurity", "NetSetFileSecurity",
    "NetServerTransportAddEx", "NetServerSetServiceBitsEx", "NetDfsGetVersion", "NetDfsCreateLocalPartition",
    "NetDfsDeleteLocalPartition", "NetDfsSetLocalVolumeState", "NetDfsSetServerInfo", "NetDfsCreateExitPoint",
    "NetDfsDeleteExitPoint", "NetDfsModifyPrefix", "NetDfsFixLocalVolume", "NetDfsManagerReportSiteInfo",
    "NetServerTransportDelEx",
};

static const char *const wkssvc_ops[] = {
    "NetWkstaGetInfo", "NetWkstaSetInfo", "NetWkstaEnumUsers", "NetrWkstaUserGetInfo", "NetrWkstaUserSetInfo",
    "NetWkstaTransportEnum", "NetrWkstaTransportAdd", "NetrWkstaTransportDel", "NetrUseAdd", "NetrUseGetInfo",
    "NetrUseDel", "NetrUseEnum", "NetrMessageBufferSend", "NetrWorkstationStatisticsGet",
    "NetrLogonDomainNameAdd", "NetrLogonDomainNameDel", "NetrJoinDomain", "NetrUnjoinDomain",
    "NetrRenameMachineInDomain", "NetrValidateName", "NetrGetJoinInformation", "NetrGetJoinableOus",
    "NetrJoinDomain2", "NetrUnjoinDomain2", "NetrRenameMachineInDomain2", "NetrValidateName2",
    "NetrGetJoinableOus2", "NetrAddAlternateComputerName", "NetrRemoveAlternateComputerName",
    "NetrSetPrimaryComputername", "NetrEnumerateComputerNames",
};

static const char *const lsarpc_ops[] = {
    "lsa_Close", "lsa_Delete", "lsa_EnumPrivs", "lsa_QuerySecurity", "lsa_SetSecObj", "lsa_ChangePassword",
    "lsa_OpenPolicy", "lsa_QueryInfoPolicy", "lsa_SetInfoPolicy", "lsa_ClearAuditLog", "lsa_CreateAccount",
    "lsa_EnumAccounts", "lsa_CreateTrustedDomain", "lsa_EnumTrustDom", "lsa_LookupNames", "lsa_LookupSids",
    "lsa_CreateSecret", "lsa_OpenAccount", "lsa_EnumPrivsAccount", "lsa_AddPrivilegesToAccount",
    "lsa_RemovePrivilegesFromAccount", "lsa_GetQuotasForAccount", "lsa_SetQuotasForAccount",
    "lsa_GetSystemAccessAccount", "lsa_SetSystemAccessAccount", "lsa_OpenTrustedDomain",
    "lsa_QueryTrustedDomainInfo", "lsa_SetInformationTrustedDomain", "lsa_OpenSecret", "lsa_SetSecret",
    "lsa_QuerySecret", "lsa_LookupPrivValue", "lsa_LookupPrivName", "lsa_LookupPrivDisplayName",
    "lsa_DeleteObject", "lsa_EnumAccountsWithUserRight", "lsa_EnumAccountRights", "lsa_AddAccountRights",
    "lsa_RemoveAccountRights", "lsa_QueryTrustedDomainInfoBySid", "lsa_SetTrustedDomainInfo",
    "lsa_DeleteTrustedDomain", "lsa_StorePrivateData", "lsa_RetrievePrivateData", "lsa_OpenPolicy2",
    "lsa_GetUserName", "lsa_QueryInfoPolicy2", "lsa_SetInfoPolicy2", "lsa_QueryTrustedDomainInfoByName",
    "lsa_SetTrustedDomainInfoByName", "lsa_EnumTrustedDomainsEx", "lsa_CreateTrustedDomainEx",
    "lsa_CloseTrustedDomainEx", "lsa_QueryDomainInformationPolicy", "lsa_SetDomainInformationPolicy",
    "lsa_OpenTrustedDomainByName", "lsa_TestCall", "lsa_LookupSids2", "lsa_LookupNames2",
    "lsa_CreateTrustedDomainEx2", "lsa_CREDRWRITE", "lsa_CREDRREAD", "lsa_CREDRENUMERATE",
    "lsa_CREDRWRITEDOMAINCREDENTIALS", "lsa_CREDRREADDOMAINCREDENTIALS", "lsa_CREDRDELETE",
    "lsa_CREDRGETTARGETINFO", "lsa_CREDRPROFILELOADED", "lsa_LookupNames3", "lsa_CREDRGETSESSIONTYPES",
    "lsa_LSARREGISTERAUDITEVENT", "lsa_LSARGENAUDITEVENT", "lsa_LSARUNREGISTERAUDITEVENT",
    "lsa_lsaRQueryForestTrustInformation", "lsa_lsaRSetForestTrustInformation", "lsa_CREDRRENAME",
    "lsa_LookupSids3", "lsa_LookupNames4",
};

static const char *const samr_ops[] = {
    "samr_Connect", "samr_Close", "samr_SetSecurity", "samr_QuerySecurity", "samr_Shutdown",
    "samr_LookupDomain", "samr_EnumDomains", "samr_OpenDomain", "samr_QueryDomainInfo", "samr_SetDomainInfo",
    "samr_CreateDomainGroup", "samr_EnumDomainGroups", "samr_CreateUser", "samr_EnumDomainUsers",
    "samr_CreateDomAlias", "samr_EnumDomainAliases", "samr_GetAliasMembership", "samr_LookupNames",
    "samr_LookupRids", "samr_OpenGroup", "samr_QueryGroupInfo", "samr_SetGroupInfo", "samr_AddGroupMember",
    "samr_DeleteDomainGroup", "samr_DeleteGroupMember", "samr_QueryGroupMember", "samr_SetMemberAttributesOfGroup",
    "samr_OpenAlias", "samr_QueryAliasInfo", "samr_SetAliasInfo", "samr_DeleteDomAlias", "samr_AddAliasMember",
    "samr_DeleteAliasMember", "samr_GetMembersInAlias", "samr_OpenUser", "samr_DeleteUser", "samr_QueryUserInfo",
    "samr_SetUserInfo", "samr_ChangePasswordUser", "samr_GetGroupsForUser", "samr_QueryDisplayInfo",
    "samr_GetDisplayEnumerationIndex", "samr_TestPrivateFunctionsDomain", "samr_TestPrivateFunctionsUser",
    "samr_GetUserPwInfo", "samr_RemoveMemberFromForeignDomain", "samr_QueryDomainInfo2", "samr_QueryUserInfo2",
    "samr_QueryDisplayInfo2", "samr_GetDisplayEnumerationIndex2", "samr_CreateUser2", "samr_QueryDisplayInfo3",
    "samr_AddMultipleMembersToAlias", "samr_RemoveMultipleMembersFromAlias", "samr_OemChangePasswordUser2",
    "samr_ChangePasswordUser2", "samr_GetDomPwInfo", "samr_Connect2", "samr_SetUserInfo2",
    "samr_SetBootKeyInformation", "samr_GetBootKeyInformation", "samr_Connect3", "samr_Connect4",
    "samr_ChangePasswordUser3", "samr_Connect5", "samr_RidToSid", "samr_SetDsrmPassword",
    "samr_ValidatePassword",
};

static const char *const netlogon_ops[] = {
    "netr_LogonUasLogon", "netr_LogonUasLogoff", "netr_LogonSamLogon", "netr_LogonSamLogoff",
    "netr_ServerReqChallenge", "netr_ServerAuthenticate", "netr_ServerPasswordSet", "netr_DatabaseDeltas",
    "netr_DatabaseSync", "netr_AccountDeltas", "netr_AccountSync", "netr_GetDcName", "netr_LogonControl",
    "netr_GetAnyDCName", "netr_LogonControl2", "netr_ServerAuthenticate2", "netr_DatabaseSync2",
    "netr_DatabaseRedo", "netr_LogonControl2Ex", "netr_NetrEnumerateTrustedDomains", "netr_DsRGetDCName",
    "netr_LogonGetCapabilities", "netr_NETRLOGONSETSERVICEBITS", "netr_LogonGetTrustRid",
    "netr_NETRLOGONCOMPUTESERVERDIGEST", "netr_NETRLOGONCOMPUTECLIENTDIGEST", "netr_ServerAuthenticate3",
    "netr_DsRGetDCNameEx", "netr_DsRGetSiteName", "netr_LogonGetDomainInfo", "netr_ServerPasswordSet2",
    "netr_ServerPasswordGet", "netr_NetrLogonSendToSam", "netr_DsRAddressToSitenamesW", "netr_DsRGetDCNameEx2",
    "netr_NETRLOGONGETTIMESERVICEPARENTDOMAIN", "netr_NetrEnumerateTrustedDomainsEx",
    "netr_DsRAddressToSitenamesExW", "netr_DsrGetDcSiteCoverageW", "netr_LogonSamLogonEx",
    "netr_DsrEnumerateDomainTrusts", "netr_DsrDeregisterDNSHostRecords", "netr_ServerTrustPasswordsGet",
    "netr_DsRGetForestTrustInformation", "netr_GetForestTrustInformation", "netr_LogonSamLogonWithFlags",
    "netr_ServerGetTrustInfo",
};

static const char *const winreg_ops[] = {
    "winreg_OpenHKCR", "winreg_OpenHKCU", "winreg_OpenHKLM", "winreg_OpenHKPD", "winreg_OpenHKU",
    "winreg_CloseKey", "winreg_CreateKey", "winreg_DeleteKey", "winreg_DeleteValue", "winreg_EnumKey",
    "winreg_EnumValue", "winreg_FlushKey", "winreg_GetKeySecurity", "winreg_LoadKey",
    "winreg_NotifyChangeKeyValue", "winreg_OpenKey", "winreg_QueryInfoKey", "winreg_QueryValue",
    "winreg_ReplaceKey", "winreg_RestoreKey", "winreg_SaveKey", "winreg_SetKeySecurity", "winreg_SetValue",
    "winreg_UnLoadKey", "winreg_InitiateSystemShutdown", "winreg_AbortSystemShutdown", "winreg_GetVersion",
    "winreg_OpenHKCC", "winreg_OpenHKDD", "winreg_QueryMultipleValues", "winreg_InitiateSystemShutdownEx",
    "winreg_SaveKeyEx", "winreg_OpenHKPT", "winreg_OpenHKPN", "winreg_QueryMultipleValues2",
    "winreg_DeleteKeyEx",
};

static const char *const svcctl_ops[] = {
    "svcctl_CloseServiceHandle", "svcctl_ControlService", "svcctl_DeleteService", "svcctl_LockServiceDatabase",
    "svcctl_QueryServiceObjectSecurity", "svcctl_SetServiceObjectSecurity", "svcctl_QueryServiceStatus",
    "svcctl_SetServiceStatus", "svcctl_UnlockServiceDatabase", "svcctl_NotifyBootConfigStatus",
    "svcctl_SCSetServiceBitsW", "svcctl_ChangeServiceConfigW", "svcctl_CreateServiceW",
    "svcctl_EnumDependentServicesW", "svcctl_EnumServicesStatusW", "svcctl_OpenSCManagerW",
    "svcctl_OpenServiceW", "svcctl_QueryServiceConfigW", "svcctl_QueryServiceLockStatusW",
    "svcctl_StartServiceW", "svcctl_GetServiceDisplayNameW", "svcctl_GetServiceKeyNameW",
    "svcctl_SCSetServiceBitsA", "svcctl_ChangeServiceConfigA", "svcctl_CreateServiceA",
    "svcctl_EnumDependentServicesA", "svcctl_EnumServicesStatusA", "svcctl_OpenSCManagerA",
    "svcctl_OpenServiceA", "svcctl_QueryServiceConfigA", "svcctl_QueryServiceLockStatusA",
    "svcctl_StartServiceA", "svcctl_GetServiceDisplayNameA", "svcctl_GetServiceKeyNameA",
    "svcctl_GetCurrentGroupeStateW", "svcctl_EnumServiceGroupW", "svcctl_ChangeServiceConfig2A",
    "svcctl_ChangeServiceConfig2W", "svcctl_QueryServiceConfig2A", "svcctl_QueryServiceConfig2W",
    "svcctl_QueryServiceStatusEx", "svcctl_EnumServicesStatusExA", "svcctl_EnumServicesStatusExW",
    "svcctl_SCSendTSMessage",
};

static const char *const epmapper_ops[] = {
    "epm_Insert", "epm_Delete", "epm_Lookup", "epm_Map", "epm_LookupHandleFree", "epm_InqObject",
    "epm_MgmtDelete", "epm_MapAuth",
};

static const char *const spoolss_ops[] = {
    "spoolss_EnumPrinters", "spoolss_OpenPrinter", "spoolss_SetJob", "spoolss_GetJob", "spoolss_EnumJobs",
    "spoolss_AddPrinter", "spoolss_DeletePrinter", "spoolss_SetPrinter", "spoolss_GetPrinter",
    "spoolss_AddPrinterDriver", "spoolss_EnumPrinterDrivers", "spoolss_GetPrinterDriver",
    "spoolss_GetPrinterDriverDirectory", "spoolss_DeletePrinterDriver", "spoolss_AddPrintProcessor",
    "spoolss_EnumPrintProcessors", "spoolss_GetPrintProcessorDirectory", "spoolss_StartDocPrinter",
    "spoolss_StartPagePrinter", "spoolss_WritePrinter", "spoolss_EndPagePrinter", "spoolss_AbortPrinter",
    "spoolss_ReadPrinter", "spoolss_EndDocPrinter", "spoolss_AddJob", "spoolss_ScheduleJob",
    "spoolss_GetPrinterData", "spoolss_SetPrinterData", "spoolss_WaitForPrinterChange", "spoolss_ClosePrinter",
};

static const char *const eventlog_ops[] = {
    "eventlog_ClearEventLogW", "eventlog_BackupEventLogW", "eventlog_CloseEventLog",
    "eventlog_DeregisterEventSource", "eventlog_GetNumRecords", "eventlog_GetOldestRecord",
    "eventlog_ChangeNotify", "eventlog_OpenEventLogW", "eventlog_RegisterEventSourceW",
    "eventlog_OpenBackupEventLogW", "eventlog_ReadEventLogW", "eventlog_ReportEventW",
};

#define OPS(a) a, sizeof(a) / sizeof(a[0])

const dcerpc_iface dcerpc_ifaces[] = {
    { "4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc", OPS(srvsvc_ops) },
    { "6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc", OPS(wkssvc_ops) },
    { "12345778-1234-abcd-ef00-0123456789ab", "lsarpc", OPS(lsarpc_ops) },
    { "12345778-1234-abcd-ef00-0123456789ac", "samr", OPS(samr_ops) },
    { "12345678-1234-abcd-ef00-01234567cffb", "netlogon", OPS(netlogon_ops) },
    { "338cd001-2244-31f1-aaaa-900038001003", "winreg", OPS(winreg_ops) },
    { "367abb81-9844-35f1-ad32-98f038001003", "svcctl", OPS(svcctl_ops) },
    { "e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", OPS(epmapper_ops) },
    { "12345678-1234-abcd-ef00-0123456789ab", "spoolss", OPS(spoolss_ops) },
    { "82273fdc-e32a-18c3-3f78-827929dc23ea", "eventlog", OPS(eventlog_ops) },
    { "3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup", NULL, 0 },
    { "1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", NULL, 0 },
    { "4fc742e0-4a10-11cf-8273-00aa004ae673", "netdfs", NULL, 0 },
    { "e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi", NULL, 0 },
    { "afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt", NULL, 0 },
    { NULL, NULL, NULL, 0 },
};

/* Fault status codes ([C706] Appendix E, [MS-RPCE] 2.2.2.11), sorted. */
const dt_value_name dcerpc_fault_vals[] = {
    { 0x00000005, "nca_s_fault_access_denied" },
    { 0x000006d8, "nca_s_fault_cant_perform" },
    { 0x000006f7, "nca_s_fault_ndr" },
    { 0x00000721, "nca_s_fault_sec_pkg_error" },
    { 0x1c000001, "nca_s_fault_int_div_by_zero" },
    { 0x1c000002, "nca_s_fault_addr_error" },
    { 0x1c000003, "nca_s_fault_fp_div_zero" },
    { 0x1c000004, "nca_s_fault_fp_underflow" },
    { 0x1c000005, "nca_s_fault_fp_overflow" },
    { 0x1c000006, "nca_s_fault_invalid_tag" },
    { 0x1c000007, "nca_s_fault_invalid_bound" },
    { 0x1c000008, "nca_s_rpc_version_mismatch" },
    { 0x1c000009, "nca_s_unspec_reject" },
    { 0x1c00000a, "nca_s_bad_actid" },
    { 0x1c00000b, "nca_s_who_are_you_failed" },
    { 0x1c00000c, "nca_s_manager_not_entered" },
    { 0x1c00000d, "nca_s_fault_cancel" },
    { 0x1c00000e, "nca_s_fault_ill_inst" },
    { 0x1c00000f, "nca_s_fault_fp_error" },
    { 0x1c000010, "nca_s_fault_int_overflow" },
    { 0x1c000012, "nca_s_fault_unspec" },
    { 0x1c000013, "nca_s_fault_remote_comm_failure" },
    { 0x1c000014, "nca_s_fault_pipe_empty" },
    { 0x1c000015, "nca_s_fault_pipe_closed" },
    { 0x1c000016, "nca_s_fault_pipe_order" },
    { 0x1c000017, "nca_s_fault_pipe_discipline" },
    { 0x1c000018, "nca_s_fault_pipe_comm_error" },
    { 0x1c000019, "nca_s_fault_pipe_memory" },
    { 0x1c00001a, "nca_s_fault_context_mismatch" },
    { 0x1c00001b, "nca_s_fault_remote_no_memory" },
    { 0x1c00001c, "nca_s_invalid_pres_context_id" },
    { 0x1c00001d, "nca_s_unsupported_authn_level" },
    { 0x1c00001f, "nca_s_invalid_checksum" },
    { 0x1c000020, "nca_s_invalid_crc" },
    { 0x1c000021, "nca_s_fault_user_defined" },
    { 0x1c000022, "nca_s_fault_tx_open_failed" },
    { 0x1c000023, "nca_s_fault_codeset_conv_error" },
    { 0x1c000024, "nca_s_fault_object_not_found" },
    { 0x1c000025, "nca_s_fault_no_client_stub" },
    { 0x1c010002, "nca_s_op_rng_error" },
    { 0x1c010003, "nca_s_unk_if" },
    { 0x1c010006, "nca_s_wrong_boot_time" },
    { 0x1c010009, "nca_s_you_crashed" },
    { 0x1c01000b, "nca_s_proto_error" },
    { 0x1c010013, "nca_s_out_args_too_big" },
    { 0x1c010014, "nca_s_server_too_busy" },
    { 0x1c010015, "nca_s_fault_string_too_long" },
    { 0x1c010017, "nca_s_unsupported_type" },
    { 0, NULL },
};
