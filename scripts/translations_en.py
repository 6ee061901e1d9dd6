"""English interface texts: `python scripts/translations_en.py` rewrites the catalog.

The interface is written in zh-TW (the source strings); this is the English catalog
selectable with /lang/en. Run `make messages` after changing interface texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

EN = {
    "請求無法處理": "The request could not be processed",
    "送出的資料格式不正確，請回上一頁重新操作。": "What was sent is not in the expected form. Please go back and try again.",
    "沒有權限": "Not permitted",
    "您沒有檢視或變更這項資料的權限。": "You may not view or change this.",
    "找不到頁面": "Page not found",
    "您要找的頁面不存在，或已被移除。": "The page you asked for does not exist or has been removed.",
    "不支援的操作": "Not supported",
    "這個網址不接受此種操作。": "This address does not accept this kind of request.",
    "資料過大": "Too much data",
    "送出的資料超過上限，請縮短內容後再試。": "What was sent is over the limit. Please shorten it and try again.",
    "操作過於頻繁": "Too many attempts",
    "短時間內嘗試次數過多，請稍候一分鐘再試。": "Too many attempts in a short time. Please wait a minute and try again.",
    "系統發生錯誤": "Something went wrong",
    "系統暫時無法處理您的要求，已記錄此問題，請稍後再試。": "The system could not handle your request. The problem has been recorded; please try again later.",
    "表單已過期或缺少安全驗證碼（CSRF），請重新整理頁面後再送出。您輸入的內容若未儲存，請先複製保留。": "The form has expired or lacks its security token (CSRF). Reload the page and send it again; copy anything you typed that was not saved first.",
    "幼兒園": "Kindergarten",
    "國小": "Elementary",
    "國中": "Junior high",
    "高中": "Senior high",
    "高職": "Vocational high",
    "特殊教育學校": "Special education school",
    "已截止": "Closed",
    "剩 %(days)d 天 %(hours)d 小時": "%(days)d days %(hours)d hours left",
    "剩 %(hours)d 小時 %(minutes)d 分": "%(hours)d hours %(minutes)d minutes left",
    "剩 %(minutes)d 分鐘": "%(minutes)d minutes left",
    "密碼": "Password",
    "請輸入密碼": "Enter your password",
    "密碼最多 200 字": "At most 200 characters",
    "帳號": "Username",
    "請輸入帳號": "Enter your username",
    "帳號最多 40 字": "At most 40 characters",
    "身分證字號或居留證號": "National ID or resident certificate number",
    "請輸入身分證字號或居留證號": "Enter your national ID or resident certificate number",
    "登入失敗：帳號或密碼不正確，或帳號因連續失敗已暫時鎖定，請稍後再試。": "Sign-in failed: the username or password is not correct, or the account is locked for a while after repeated failures. Please try again later.",
    "您已登出。": "You have signed out.",
    "未開放": "Not yet open",
    "填寫中": "Open",
    "不適用": "Not applicable",
    "有 %(count)d 個欄位需要修正，請查看各欄位旁的說明。": "%(count)d fields need correcting; see the note beside each.",
    "填寫期間自 %(opens)s 開始，目前尚未開放；這次的內容未儲存。": "The window opens at %(opens)s; it is not open yet and nothing was saved.",
    "填寫期間已於 %(closes)s 截止，這次的變更未儲存；先前儲存的內容仍保留。如需延長填寫，請洽主管機關。": "The window closed at %(closes)s. This change was not saved; what was saved before is kept. Ask your education authority for an extension if needed.",
    "您的教育階段本學年度不需填寫此項規劃。": "Your stage does not take part in this plan this year.",
    "這份規劃已在您的另一個視窗或分頁更新（%(when)s，第 %(version)s 版）。這裡的變更尚未儲存：請對照下方最新內容，確認後再儲存。": "This plan was updated in another window or tab of yours (%(when)s, version %(version)s). The changes here are not saved yet: compare them with the latest content below, then save.",
    "這份規劃已在您開啟後被更新（%(who)s，%(when)s，第 %(version)s 版）。您這次的變更尚未儲存：請對照下方最新內容，確認後再儲存。": "This plan was updated after you opened it (%(who)s, %(when)s, version %(version)s). Your changes are not saved yet: compare them with the latest content below, then save.",
    "這份規劃尚未送出，不需要重新開啟。": "This plan has not been submitted, so there is nothing to reopen.",
    "已送出規劃，謝謝您。送出後於填寫期間內仍可重新開啟修改。": "Your plan is submitted. Thank you. While the window is open you can reopen it to make changes.",
    "已儲存草稿（%(time)s）。": "Draft saved (%(time)s).",
    "已自動儲存 %(time)s": "Saved automatically at %(time)s",
    "尚未自動儲存：有 %(count)d 個欄位需要修正，請按「儲存草稿」查看說明。": "Not saved automatically: %(count)d fields need correcting. Press “Save draft” to see why.",
    "尚未自動儲存：這份規劃已在別處更新，請按「儲存草稿」查看差異。": "Not saved automatically: this plan was updated elsewhere. Press “Save draft” to see the difference.",
    "尚未自動儲存：": "Not saved automatically: ",
    "已重新開啟，請修改後再次送出。": "Reopened. Make your changes and submit again.",
    "進修規劃": "Professional development planning",
    "全國教師在職進修資訊網": "National Teacher In-service Education Network",
    "跳到主要內容": "Skip to main content",
    "學校本位暨教師自我專業進修規劃": "School-based and teacher professional development planning",
    "主要選單": "Main menu",
    "首頁": "Home",
    "我的進修規劃": "My plan",
    "業務專區": "Staff area",
    "登出": "Sign out",
    "學校業務帳號登入": "School staff sign-in",
    "教師登入": "Teacher sign-in",
    "諮詢電話": "Helpline",
    "諮詢信箱": "Help email",
    "最佳瀏覽解析度 1024×768 以上，建議使用最新版本瀏覽器。": "Best viewed at 1024×768 or larger in an up-to-date browser.",
    "回首頁": "Back to the home page",
    "請以教師進修網教師帳號（身分證字號或居留證號）及密碼登入，填寫教師自我專業進修規劃。": "Sign in with your teacher account of the network (national ID or resident certificate number) and password to fill your professional development plan.",
    "請以教師進修網業務帳號及密碼登入，填寫學校本位進修規劃。業務帳號屬個人資料，不可交接或沿用。": "Sign in with your personal staff account of the network to fill the school-based plan. Staff accounts are personal: never hand one over or reuse one.",
    "共 10 碼，第 1 碼為英文字母（大小寫皆可）": "10 characters, the first a letter (upper or lower case)",
    "連續登入失敗 5 次，帳號將暫停登入 15 分鐘。": "After 5 failed sign-ins in a row the account is locked for 15 minutes.",
    "登入": "Sign in",
    "學校本位暨教師自我專業進修規劃促進服務": "School-based and Teacher Professional Development Planning Service",
    "學校本位進修規劃": "School-based plan",
    "教師自我專業進修規劃": "Teacher professional development plan",
    "教師帳號登入": "Teacher sign-in",
    "填寫時程": "Schedule",
    "教師名單基準日": "Roster cutoff",
    "（以此時點前於教師進修網登錄完畢之校內教師名單為依據）": "(the school rosters registered on the network before this moment are the teacher lists of the cycle)",
    "教育階段": "Stage",
    "開始": "Opens",
    "截止": "Closes",
    "狀態": "Status",
    "本學年度未開放此項規劃。": "This plan is not open this year.",
    "學校本位進修規劃調查國小、國中、高中、高職及特殊教育學校，不含公立幼兒園。": "The school-based plan covers elementary, junior high, senior high, vocational high and special education schools, not public kindergartens.",
    "目前沒有開放中的學年度。": "No academic year is open at present.",
    "說明手冊": "Manuals",
    "學校本位進修規劃 說明手冊（PDF）": "Manual for the school-based plan (PDF, zh-TW)",
    "教師自我專業進修規劃 說明手冊（PDF）": "Manual for the teacher plan (PDF, zh-TW)",
    "諮詢服務": "Help",
    "承辦單位": "Organised by",
    "填寫期間": "Window",
    "已延長": "extended",
    "已送出": "Submitted",
    "草稿": "Draft",
    "（第 %(version)s 版，%(when)s %(who)s）": "(version %(version)s, %(when)s, %(who)s)",
    "第 %(n)s 列": "row %(n)s",
    "%(n)s 列": "%(n)s rows",
    "（第 %(n)s 項活動）": "(activity %(n)s)",
    "目前儲存的最新內容": "The latest saved content",
    "重新開啟修改": "Reopen to change",
    "儲存草稿": "Save draft",
    "內容會自動儲存為草稿。": "Your answers are saved as a draft automatically.",
    "學校本位進修規劃的活動": "Activities of the school-based plan",
    "可將學校規劃的活動加入您的規劃（加入後可再修改）。": "You may add the school's planned activities to your plan (and change them afterwards).",
    "學校規劃的活動": "The school's activities",
    "加入": "Add",
    "加入我的規劃": "Add to my plan",
    "送出規劃": "Submit plan",
    "匯出紀錄": "Exports",
    "申請時間": "Requested",
    "進度": "Progress",
    "下載": "Download",
    "已完成 %(done)s／%(total)s 份": "%(done)s of %(total)s done",
    "準備中": "Preparing",
    "匯出進度": "Export progress",
    "下載 ZIP": "Download ZIP",
    "產生中，本頁會自動更新進度；若未更新，請": "Being built; this page updates itself. If it does not,",
    "重新整理": "reload",
    "尚無匯出紀錄。": "No exports yet.",
    "匯出全校教師規劃": "Export all teachers' plans",
    "將本校教師已送出的自我專業進修規劃 PDF 打包為一個 ZIP 壓縮檔；教師的草稿屬於教師本人，不會匯出。壓縮檔內的 index.csv 列出名單上每位教師的填報狀態（未填寫／草稿／已送出）及已送出規劃的檔案。產生需要一些時間，您可以離開本頁，稍後再回來下載。": "Packs the submitted plans of your school's teachers as PDFs into one ZIP file; a teacher's draft is the teacher's own and is not exported. The index.csv inside lists every teacher of the roster with the state of their plan (not started, draft, submitted) and the file of each submitted plan. Building takes a while; you may leave this page and come back to download it.",
    "產生壓縮檔": "Build the ZIP file",
    "報表產生中": "Report being generated",
    "目前申請下載的人數較多，您的 PDF 報表正在排隊產生，請於 15 秒後重新整理本頁或再次點選下載。": "Many people are downloading now: your PDF report is queued. Reload this page or download again in 15 seconds.",
    "重新下載": "Download again",
    "業務帳號": "Staff account",
    "服務學校": "School",
    "帳號類別": "Account types",
    "學年度": "Academic year",
    "本校教育階段不需填寫學校本位進修規劃。": "Your school's stage does not fill a school-based plan.",
    "填寫學校本位進修規劃": "Fill the school-based plan",
    "檢視學校本位進修規劃": "View the school-based plan",
    "下載學校規劃報表（PDF）": "Download the school report (PDF)",
    "填報進度與彙整報表": "Progress and summary reports",
    "本縣市彙整報表（PDF）": "County summary (PDF)",
    "全國彙整報表（PDF）": "National summary (PDF)",
    "姓名": "Name",
    "身分證字號": "National ID",
    "目前沒有服務學校資料": "No school on record",
    "本學年度您的教育階段不需填寫。": "Your stage does not take part this year.",
    "填寫我的進修規劃": "Fill my plan",
    "檢視我的進修規劃": "View my plan",
    "您不在本學年度的教師名單中（依名單基準日 %(cutoff)s）。": "You are not on this year's teacher list (roster cutoff %(cutoff)s).",
    "了解原因": "Why?",
    "不在本學年度教師名單": "Not on this year's teacher list",
    "您不在本學年度的教師名單中": "You are not on this year's teacher list",
    "%(cycle)s教師自我專業進修規劃的填寫名單，是依 %(cutoff)s 前於教師進修網建置、登錄完畢的校內教師名單產生。您在該時點沒有服務學校資料，因此無法填寫本學年度的規劃。": "The teacher list of %(cycle)s is the school rosters registered on the network before %(cutoff)s. You had no school on record at that moment, so you cannot fill this year's plan.",
    "若您當時已在學校服務，請洽學校的教師資料業務承辦人或總負責人確認，並與諮詢服務聯繫。": "If you were already serving at a school then, ask your school's roster staff or chief account holder to check, and contact the helpline.",
    "回我的進修規劃": "Back to my plan",
    "下載我的規劃（PDF）": "Download my plan (PDF)",
}


def main(po_path: str, pot_path: str) -> int:
    with open(pot_path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    catalog.fuzzy = False  # every text below is reviewed, not machine-guessed
    missing = []
    for message in catalog:
        if not message.id:
            continue
        text = EN.get(message.id)
        if text is None:
            missing.append(message.id)
        else:
            message.string = text
    Path(po_path).parent.mkdir(parents=True, exist_ok=True)
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, width=100)
    for text in missing:
        print(f"untranslated: {text}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
