// The guided demo's stories: every step's words (zh and en) and what "Do it for me" does.
// Button labels are the bot's own texts (locales/zh/LC_MESSAGES/core.po): zh first, then en;
// "{count}" stands for any number.
"use strict";

const DEMO_LABELS = {
  dispatch: ["交办", "Dispatch"],
  issue: ["下发交办单（{count}份）", "Issue assignment orders ({count})"],
  signFor: ["签收", "Sign for"],
  complete: ["办结", "Complete"],
  satisfied: ["满意", "Satisfied"],
  addGov: ["▫️ 县政府办", "▫️ County Government Office"],
  addEgov: ["▫️ 县电子政务管理办", "▫️ E-Government Office"],
};

const KUNHAO_REPORT = {
  zh: "/report permit 二期增容项目需要县里的核准、环评批复和电子政务备案，省里的审批窗口10天后关闭，请尽快协调。",
  en: "/report permit The phase-two expansion needs the county's approval, the environmental permit and the e-government filing; the province's window closes in 10 days.",
};

const KUNHAO_LIAISONS = [3001, 3002, 3003, 3004];

const KUNHAO_RESULTS = {
  3001: { zh: "已办结：县政府办核准意见已出具。", en: "Done: the county office's approval is issued." },
  3002: { zh: "已办结：项目核准文件已下达。", en: "Done: the project approval is issued." },
  3003: { zh: "已办结：环评批复已下达。", en: "Done: the environmental permit is issued." },
  3004: { zh: "已办结：电子政务备案已完成。", en: "Done: the e-government filing is complete." },
};

const DEMO_STORIES = [
  {
    id: "kunhao",
    title: { zh: "坤昊实业：四个部门同时办", en: "Kunhao: four departments at once" },
    steps: [
      {
        persona: 1001,
        title: { zh: "企业提出诉求", en: "The enterprise reports" },
        todo: {
          zh: "选 王经理 (1001)，发送：",
          en: "Pick 王经理 (1001) and send:",
        },
        show: KUNHAO_REPORT,
        look: {
          zh: "王经理 收到诉求编号；赵科长 (2001) 和 陈主任 (2002) 收到“收到新诉求”和 交办 按钮。也可以用 /report 逐步填写。",
          en: "王经理 gets the case number; 赵科长 (2001) and 陈主任 (2002) get \"New case reported\" with a Dispatch button. /report alone walks through a form instead.",
        },
        actions: [{ persona: 1001, send: KUNHAO_REPORT }],
      },
      {
        persona: 2001,
        title: { zh: "园区打开交办单", en: "The park office opens the dispatch form" },
        todo: {
          zh: "选 赵科长 (2001)，在新诉求下按 “交办”。",
          en: "Pick 赵科长 (2001) and press \"交办\" (Dispatch) under the new case.",
        },
        look: {
          zh: "交办单已勾选该类别的默认部门（县发改委、县环保局）和默认期限。",
          en: "The form has the category's default departments (DRC, EPB) ticked and the default deadline.",
        },
        actions: [{ persona: 2001, press: DEMO_LABELS.dispatch }],
      },
      {
        persona: 2001,
        title: { zh: "再加两个部门", en: "Add two more departments" },
        todo: {
          zh: "按 “▫️ 县政府办” 和 “▫️ 县电子政务管理办”。",
          en: "Press \"▫️ 县政府办\" (county office) and \"▫️ 县电子政务管理办\" (e-government).",
        },
        look: {
          zh: "同一条消息被就地更新：四个部门打勾，按钮变为“下发交办单（4份）”。",
          en: "The same message is edited in place: four departments ticked, the button reads \"下发交办单（4份）\".",
        },
        actions: [
          { persona: 2001, press: DEMO_LABELS.addGov },
          { persona: 2001, press: DEMO_LABELS.addEgov },
        ],
      },
      {
        persona: 2001,
        title: { zh: "下发交办单", en: "Issue the assignment orders" },
        todo: {
          zh: "按 “下发交办单（4份）”。",
          en: "Press \"下发交办单（4份）\" (Issue assignment orders).",
        },
        look: {
          zh: "四位联络员 (3001–3004) 各收到自己的交办单；王经理 收到已交办的通知。其他部门什么也没收到。",
          en: "Liaisons 3001–3004 each get their own order card; 王经理 is told who has it. Other departments get nothing.",
        },
        actions: [{ persona: 2001, press: DEMO_LABELS.issue }],
      },
      {
        persona: 3001,
        title: { zh: "四个部门签收", en: "The four departments sign for" },
        todo: {
          zh: "依次选 刘/孙/周/吴联络员 (3001–3004)，在交办单下按 “签收”。",
          en: "Pick liaisons 3001–3004 in turn and press \"签收\" (Sign for) on the card.",
        },
        look: {
          zh: "交办单变为“已签收，办理中”，出现 办结 按钮；王经理 收到每个部门的签收通知。",
          en: "The card turns to \"signed for, in progress\" with a Complete button; 王经理 hears of each.",
        },
        actions: KUNHAO_LIAISONS.map((id) => ({ persona: id, press: DEMO_LABELS.signFor })),
      },
      {
        persona: 3001,
        title: { zh: "四个部门办结", en: "The four departments complete" },
        todo: {
          zh: "每位联络员按 “办结”，再发送办理结果，例如：",
          en: "Each liaison presses \"办结\" (Complete), then sends the result, for example:",
        },
        show: KUNHAO_RESULTS[3001],
        look: {
          zh: "王经理、赵科长、陈主任 收到每个办结结果；第四个办结后，王经理 被请求确认满意度。",
          en: "王经理, 赵科长 and 陈主任 get each result; after the fourth, 王经理 is asked to confirm.",
        },
        actions: KUNHAO_LIAISONS.flatMap((id) => [
          { persona: id, press: DEMO_LABELS.complete },
          { persona: id, send: KUNHAO_RESULTS[id] },
        ]),
      },
      {
        persona: 1001,
        title: { zh: "企业确认", en: "The enterprise confirms" },
        todo: {
          zh: "选 王经理 (1001)，按 “满意”。",
          en: "Pick 王经理 (1001) and press \"满意\" (Satisfied).",
        },
        look: {
          zh: "诉求关闭；赵科长 和 陈主任 收到“已关闭：企业满意”。",
          en: "The case closes; 赵科长 and 陈主任 are told the enterprise is satisfied.",
        },
        actions: [{ persona: 1001, press: DEMO_LABELS.satisfied }],
      },
      {
        persona: 1001,
        title: { zh: "查看诉求", en: "Look at the case" },
        todo: { zh: "选 王经理 (1001)，发送：", en: "Pick 王经理 (1001) and send:" },
        show: { zh: "/cases", en: "/cases" },
        look: {
          zh: "诉求显示为已关闭；/case 加编号可看完整时间线。",
          en: "The case is listed as closed; /case with its number shows the whole timeline.",
        },
        actions: [{ persona: 1001, send: { zh: "/cases", en: "/cases" } }],
      },
    ],
  },
  {
    id: "ignored",
    title: { zh: "一个部门置之不理：督办到否决", en: "A department ignores it: reminders to veto" },
    steps: [
      {
        persona: 1001,
        title: { zh: "企业提出诉求", en: "The enterprise reports" },
        todo: { zh: "选 王经理 (1001)，发送：", en: "Pick 王经理 (1001) and send:" },
        show: {
          zh: "/report permit 二期增容用电审批：省里窗口期即将关闭",
          en: "/report permit Power approval for the expansion: the province's window is closing",
        },
        look: {
          zh: "陈主任 (2002) 收到新诉求和 交办 按钮。",
          en: "陈主任 (2002) gets the new case with a Dispatch button.",
        },
        actions: [
          {
            persona: 1001,
            send: {
              zh: "/report permit 二期增容用电审批：省里窗口期即将关闭",
              en: "/report permit Power approval for the expansion: the province's window is closing",
            },
          },
        ],
      },
      {
        persona: 2002,
        title: { zh: "优化办按默认交办", en: "The office dispatches with the defaults" },
        todo: {
          zh: "选 陈主任 (2002)，按 “交办”，再按 “下发交办单（2份）”。",
          en: "Pick 陈主任 (2002), press \"交办\" (Dispatch), then \"下发交办单（2份）\" (Issue).",
        },
        look: {
          zh: "县发改委 (3002) 和 县环保局 (3003) 各收到交办单，卡片上有签收和办结期限。",
          en: "The DRC (3002) and the EPB (3003) each get an order card with its sign-for and completion deadlines.",
        },
        actions: [
          { persona: 2002, press: DEMO_LABELS.dispatch },
          { persona: 2002, press: DEMO_LABELS.issue },
        ],
      },
      {
        persona: 3003,
        title: { zh: "环保局签收并办结，发改委不理", en: "The EPB signs for and completes; the DRC does nothing" },
        todo: {
          zh: "选 周联络员 (3003)，按 “签收”，再按 “办结” 并发送办理结果（孙联络员 (3002) 什么也不做），例如：",
          en: "Pick 周联络员 (3003), press \"签收\" (Sign for), then \"办结\" (Complete) and send the result (孙联络员 (3002) does nothing), for example:",
        },
        show: KUNHAO_RESULTS[3003],
        look: {
          zh: "环保局的交办单已办结，不会再有提醒。左侧的沙盒时钟显示下一个截止时间。",
          en: "The EPB's order is completed: no reminders will come for it. The sandbox clock (with the personas) shows the next deadline.",
        },
        actions: [
          { persona: 3003, press: DEMO_LABELS.signFor },
          { persona: 3003, press: DEMO_LABELS.complete },
          { persona: 3003, send: KUNHAO_RESULTS[3003] },
        ],
      },
      {
        persona: 3002,
        title: { zh: "签收期限已过", en: "The sign-for deadline passes" },
        todo: {
          zh: "按时钟的 “越过下一截止”（或 “+1 工作日”），然后选 孙联络员 (3002)。",
          en: "Press the clock's \"Past the next deadline\" (or \"+1 working day\"), then pick 孙联络员 (3002).",
        },
        look: {
          zh: "孙联络员 收到“尚未签收”的提醒；一把手 钱局长 (3101) 收到抄送。",
          en: "孙联络员 is reminded the order is not signed for; the head 钱局长 (3101) gets a copy.",
        },
        actions: [{ clock: "next" }, { persona: 3002 }],
      },
      {
        persona: 3002,
        title: { zh: "办结期限已过：督办单", en: "The deadline passes: supervision order" },
        todo: {
          zh: "再按 “越过下一截止”。",
          en: "Press \"Past the next deadline\" again.",
        },
        look: {
          zh: "孙联络员 和 钱局长 收到逾期通知和督办单（时钟一步越过了到期前的提醒，逾期通知里列出未发的提醒）；陈主任、郑书记 (4001) 收到逾期通知。",
          en: "孙联络员 and 钱局长 get the overdue notice and a supervision order (the clock jumped over the reminders before the deadline; the notice lists them); 陈主任 and 郑书记 (4001) are told it is overdue.",
        },
        actions: [{ clock: "next" }, { persona: 3002 }],
      },
      {
        persona: 4001,
        title: { zh: "督办单也逾期：否决", en: "The supervision order is missed too: veto" },
        todo: {
          zh: "再按一次 “越过下一截止”，然后选 郑书记 (4001)。",
          en: "Press \"Past the next deadline\" once more, then pick 郑书记 (4001).",
        },
        look: {
          zh: "郑书记、陈主任、钱局长 和 孙联络员 收到督办单未按期办结的通知（否决）。",
          en: "郑书记, 陈主任, 钱局长 and 孙联络员 are told the supervision order was not completed in time (veto).",
        },
        actions: [{ clock: "next" }, { persona: 4001 }],
      },
    ],
  },
];

const DEMO_TEXTS = {
  title: { zh: "演示", en: "Demo" },
  step: { zh: "第 {n} 步，共 {total} 步", en: "Step {n} of {total}" },
  pick: { zh: "用户", en: "Persona" },
  todo: { zh: "操作", en: "Do" },
  look: { zh: "留意", en: "Look for" },
  doIt: { zh: "帮我做", en: "Do it for me" },
  prev: { zh: "上一步", en: "Back" },
  next: { zh: "下一步", en: "Next" },
  restart: { zh: "重新开始演示", en: "Restart demo" },
  working: { zh: "正在执行…", en: "Working…" },
  done: { zh: "完成。", en: "Done." },
  finished: { zh: "这个故事演示完了。", en: "That is the end of this story." },
  noButton: {
    zh: "在 {persona} 的对话里找不到按钮“{label}”：上一步做了吗？",
    en: "No \"{label}\" button in {persona}'s chat: was the previous step done?",
  },
  noPersona: { zh: "没有用户 {persona}", en: "No persona {persona}" },
  failed: { zh: "失败：{error}", en: "Failed: {error}" },
  restarted: { zh: "演示已重置。", en: "The demo was reset." },
  noClock: {
    zh: "这个沙盒没有可调的时钟。",
    en: "This sandbox has no clock to move.",
  },
};
