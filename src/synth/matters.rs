//! The matters citizens call about, as text templates: what the request is, which topic of
//! the taxonomy it belongs to, how often it comes, and the department line some callers
//! dial for it. A description is one opening, two details (more when it is short) and one
//! request, so two calls about the same matter rarely read alike.
//!
//! Templates take the fillers of [`super::fillers`] as `{key}`. They are written against
//! the shipped rules (`config/rules.toml`): a dispatch template avoids the words that
//! would make it an emergency, a refusal or a utility fault, and `synth`'s tests check that
//! the rules agree with the intent written here.

/// What the generator means a request to be; the classifier should agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    /// A matter for a handling unit (派单): most calls.
    Dispatch,
    /// A consultation the knowledge base answers at once.
    AnswerDirectly,
    /// Risk to life now: 110, 119, 120 or 122.
    EmergencyTransfer,
    /// A current water, power, gas or heating fault: the utility's own line.
    UtilityTransfer,
    /// Outside 12345: a legal channel or an explanation.
    Excluded,
}

impl Intent {
    /// Whether the classifier's outcome code is this intent.
    pub fn accepts(self, outcome: &str) -> bool {
        match self {
            Intent::Dispatch => outcome == "dispatch",
            Intent::AnswerDirectly => outcome == "answer_directly",
            Intent::EmergencyTransfer => outcome == "emergency_transfer",
            Intent::UtilityTransfer => outcome == "utility_transfer",
            Intent::Excluded => matches!(outcome, "legal_channel" | "explain"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Matter {
    pub id: &'static str,
    /// Taxonomy topic the text is about (`src/domain/taxonomy.rs`).
    pub topic: &'static str,
    pub intent: Intent,
    /// Relative frequency among all calls.
    pub weight: u32,
    /// The department's own line (routing.toml `[[line]]`), dialled by some callers.
    pub line: Option<&'static str>,
    pub titles: &'static [&'static str],
    pub openings: &'static [&'static str],
    /// Two or more different ones go into each description.
    pub details: &'static [&'static str],
    pub asks: &'static [&'static str],
}

use Intent::*;

pub const MATTERS: &[Matter] = &[
    // ───── 环境保护 ─────
    Matter {
        id: "noise.night_construction",
        topic: "noise_pollution",
        intent: Dispatch,
        weight: 30,
        line: None,
        titles: &[
            "{road}工地夜间施工噪音扰民",
            "深夜施工太吵无法休息",
            "工地半夜施工噪音大",
        ],
        openings: &[
            "我是{place}{estate}的居民，小区旁边{road}的工地最近一直在夜间施工。",
            "{place}{road}附近有个在建工地，每天晚上到{late}还在施工。",
        ],
        details: &[
            "打桩机和渣土车的轰鸣声很大，噪音严重扰民，家里老人孩子根本睡不着。",
            "这种情况已经持续{duration}了，白天上班晚上还休息不好，大家都很疲惫。",
            "工地门口没有公示夜间施工许可，周边几栋楼的住户意见都很大。",
            "昨晚一直吵到{late}，用手机测了一下有八十多分贝。",
        ],
        asks: &[
            "希望有关部门尽快核查，责令工地夜间停止高噪音作业。",
            "请相关部门到现场查看处理，还居民一个安静的休息环境。",
        ],
    },
    Matter {
        id: "noise.square_dance",
        topic: "noise_pollution",
        intent: Dispatch,
        weight: 20,
        line: None,
        titles: &[
            "{estate}广场舞音响声音太大",
            "广场舞噪音扰民",
            "楼下广场舞每晚吵到很晚",
        ],
        openings: &[
            "{place}{estate}中心空地每天晚上都有人跳广场舞。",
            "我家住在{place}{estate}{building}，楼下空地每晚都有广场舞队伍活动。",
        ],
        details: &[
            "音响开得特别大，从晚上七点一直放到十点多，关着窗户都能听得清清楚楚。",
            "家里孩子要写作业、老人要早睡，每天都被吵得心烦意乱。",
            "跟领队沟通过几次，对方答应调小音量，可过几天又恢复原样。",
            "周末早上六点多也开始放音乐，整栋楼的人都被吵醒。",
        ],
        asks: &[
            "希望相关部门出面协调，规定活动时间和音量。",
            "请有关部门管一管，不要再影响周边居民休息。",
        ],
    },
    Matter {
        id: "noise.bar_at_night",
        topic: "noise_pollution",
        intent: Dispatch,
        weight: 12,
        line: None,
        titles: &["{road}酒吧深夜噪音扰民", "沿街酒吧音乐声太吵"],
        openings: &[
            "{place}{road}有一家酒吧，每天营业到{late}。",
            "我住在{place}{road}一带，楼下新开了一家酒吧。",
        ],
        details: &[
            "店里的音乐声和客人的喧哗声很大，深夜还有人在门口大声吵闹。",
            "我们楼离得很近，噪音吵得整晚睡不着，已经有{duration}了。",
            "找过店家好几次，老板嘴上答应，晚上照样把音响开得很响。",
        ],
        asks: &[
            "请相关部门依法查处噪音扰民的问题。",
            "希望有关部门督促酒吧做好隔音，夜里降低音量。",
        ],
    },
    Matter {
        id: "air.restaurant_fumes",
        topic: "air_pollution",
        intent: Dispatch,
        weight: 20,
        line: None,
        titles: &[
            "{restaurant}油烟直排影响居民",
            "饭店油烟扰民",
            "楼下餐馆油烟太大",
        ],
        openings: &[
            "{place}{road}上的{restaurant}，排烟管道直接对着居民楼。",
            "我家住在{place}{estate}{building}，楼下的{restaurant}油烟很大。",
        ],
        details: &[
            "每天中午和晚上油烟直排，呛人的味道飘进家里，窗户都不敢开。",
            "店家没有安装油烟净化设备，外墙被熏得发黑，晾在外面的衣服全是油烟味。",
            "家里有老人有哮喘，闻到这股味道就咳嗽，已经忍了{duration}了。",
        ],
        asks: &[
            "希望有关部门督促商家安装油烟净化设施并规范排放。",
            "请相关部门尽快到现场检查，解决油烟扰民的问题。",
        ],
    },
    Matter {
        id: "air.factory_odour",
        topic: "air_pollution",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["工厂排放刺鼻废气", "{place}附近夜间有刺鼻异味"],
        openings: &[
            "{place}工业区附近的{firm}，晚上经常排放废气。",
            "最近{duration}，{place}{estate}一带每到夜里就有一股刺鼻的气味。",
        ],
        details: &[
            "气味像烧塑料一样难闻，很多居民闻了头晕恶心。",
            "怀疑是附近厂房夜里偷偷排放废气，白天反而闻不到。",
            "烟囱里冒出的黑烟飘到小区上空，阳台上落了一层灰。",
        ],
        asks: &[
            "请环保部门夜间到现场监测，查清异味来源并依法处理。",
            "希望有关部门查处违法排放废气的企业。",
        ],
    },
    Matter {
        id: "water.sewage_into_river",
        topic: "water_pollution",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["河道污水直排发黑发臭", "{place}河道被污染"],
        openings: &[
            "{place}{road}旁边的河道最近颜色发黑，水面上漂着白色泡沫。",
            "我经常在{place}的河边散步，发现有一根管子往河里排污水。",
        ],
        details: &[
            "河水散发着很重的臭味，路过的人都要捂着鼻子。",
            "排出来的污水颜色发黄，河里已经能看到死鱼。",
            "这种污水直排的情况晚上更严重，已经持续{duration}了。",
        ],
        asks: &[
            "希望有关部门查清排污源头，依法整治河道水污染。",
            "请相关部门尽快处理，还河道一个干净的环境。",
        ],
    },
    // ───── 城乡建设 ─────
    Matter {
        id: "property.fee_increase",
        topic: "property_management",
        intent: Dispatch,
        weight: 25,
        line: None,
        titles: &[
            "{estate}物业费上涨不合理",
            "物业公司擅自提高物业费",
            "对物业服务不满",
        ],
        openings: &[
            "我是{place}{estate}的业主，物业公司通知物业费从每平方米{fee}元涨到{fee_high}元。",
            "{place}{estate}的物业公司今年擅自提高了物业费，没有召开业主大会。",
        ],
        details: &[
            "涨价前没有征求业主意见，也没有公示物业服务成本。",
            "物业服务一直很差，楼道灯坏了没人修，小区环境脏乱。",
            "不交物业费的业主被物业公司停了门禁卡，出入很不方便。",
        ],
        asks: &[
            "请有关部门核查物业公司的做法，督促其规范物业服务。",
            "希望相关部门出面协调，维护业主的合法权益。",
        ],
    },
    Matter {
        id: "property.lift_broken",
        topic: "property_management",
        intent: Dispatch,
        weight: 18,
        line: None,
        titles: &["{estate}{building}电梯经常坏", "小区电梯故障维修不及时"],
        openings: &[
            "{place}{estate}{building}的电梯最近经常出故障。",
            "我住在{place}{estate}{building}十八楼，电梯已经停运好几天了。",
        ],
        details: &[
            "找物业公司报修，物业只说在等配件，一直没有修好。",
            "楼里住着很多老人，每天爬楼梯上下非常困难。",
            "电梯运行时经常异响抖动，大家坐着都提心吊胆。",
        ],
        asks: &[
            "希望有关部门督促物业公司尽快维修电梯。",
            "请相关部门检查电梯运行情况，要求物业限期整改。",
        ],
    },
    Matter {
        id: "municipal.street_lamps",
        topic: "municipal_facilities",
        intent: Dispatch,
        weight: 25,
        line: None,
        titles: &[
            "{road}路灯不亮",
            "路灯坏了很久没人修",
            "{road}一段路晚上漆黑",
        ],
        openings: &[
            "{place}{road}靠近{estate}的一段路，有{count}盏路灯不亮。",
            "{place}{road}和{road2}交叉口附近的路灯坏了{duration}。",
        ],
        details: &[
            "晚上整段路黑漆漆的，行人和骑电动车的人都看不清路面。",
            "附近有学校和菜场，晚上来往的老人孩子很多，存在安全隐患。",
            "路灯杆上的灯罩也掉了一半，一直没有人来维修。",
        ],
        asks: &[
            "请有关部门尽快安排人员维修路灯，恢复夜间照明。",
            "希望相关部门尽快处理，方便居民夜间出行。",
        ],
    },
    Matter {
        id: "municipal.road_damage",
        topic: "municipal_facilities",
        intent: Dispatch,
        weight: 20,
        line: None,
        titles: &[
            "{road}路面破损坑洼",
            "人行道砖松动破损",
            "{road}路面坑洼不平",
        ],
        openings: &[
            "{place}{road}靠近{road2}的路段，路面破损非常严重。",
            "{place}{estate}门口的人行道砖大面积松动破损。",
        ],
        details: &[
            "坑洼很多，下雨后积水看不清，骑车经过很容易摔倒。",
            "有一个井盖周边下沉，车辆经过时颠得很厉害。",
            "这种情况已经有{duration}了，一直没有人来修补。",
        ],
        asks: &[
            "请有关部门尽快修补路面，消除安全隐患。",
            "希望相关部门安排维修，方便市民出行。",
        ],
    },
    Matter {
        id: "municipal.waterlogging",
        topic: "municipal_facilities",
        intent: Dispatch,
        weight: 12,
        line: None,
        titles: &["{road}一下雨就积水", "下水道堵塞路面积水严重"],
        openings: &[
            "{place}{road}靠近{estate}的路段，每逢下雨就严重积水。",
            "{place}{estate}门口的下水道堵塞了，雨水排不出去。",
        ],
        details: &[
            "积水最深的地方能没过脚踝，行人只能绕到机动车道上走。",
            "排水管道可能年久失修，雨停两三天水才慢慢退掉。",
            "积水还倒灌进了沿街的门面房，商户损失不小。",
        ],
        asks: &[
            "希望有关部门疏通排水管网，彻底解决积水问题。",
            "请相关部门尽快现场查看并安排整治。",
        ],
    },
    Matter {
        id: "real_estate.late_delivery",
        topic: "real_estate",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["开发商逾期交房", "{estate}楼盘延期交房"],
        openings: &[
            "我在{place}{estate}买了一套商品房，购房合同约定去年年底交房。",
            "{place}{estate}这个楼盘的开发商已经逾期交房{duration}了。",
        ],
        details: &[
            "到现在工程还没有完工，开发商一直说在走竣工验收流程。",
            "我们每个月还着按揭，还要在外面租房子住，压力很大。",
            "售楼部的人态度敷衍，一直给不出明确的交房时间。",
        ],
        asks: &[
            "请有关部门督促开发商尽快交房，并按合同承担违约责任。",
            "希望相关部门介入调查，维护购房者的合法权益。",
        ],
    },
    // ───── 城市管理 ─────
    Matter {
        id: "urban.illegal_construction",
        topic: "illegal_construction",
        intent: Dispatch,
        weight: 18,
        line: None,
        titles: &["{estate}顶楼违建", "小区有人私搭乱建", "举报违章搭建"],
        openings: &[
            "{place}{estate}{building}的顶楼住户在楼顶私自搭建了一间彩钢房。",
            "{place}{estate}有住户把一楼院子围起来违章搭建。",
        ],
        details: &[
            "违建占用了公共部位，还压在楼顶防水层上，下面几户已经开始渗水。",
            "施工的时候没有任何审批手续，邻居们劝阻也不听。",
            "现在还在继续加盖，面积越来越大。",
        ],
        asks: &[
            "请有关部门依法查处并拆除违章建筑。",
            "希望相关部门尽快到现场核实，制止违法建设。",
        ],
    },
    Matter {
        id: "urban.street_vending",
        topic: "street_vending",
        intent: Dispatch,
        weight: 15,
        line: None,
        titles: &["{road}占道经营严重", "路边摆摊堵塞人行道"],
        openings: &[
            "{place}{road}靠近{estate}门口，每天傍晚都有很多流动摊贩占道经营。",
            "{place}{road}一带的人行道上摆满了地摊和烧烤摊。",
        ],
        details: &[
            "摊位把人行道堵得严严实实，行人只能走到机动车道上。",
            "收摊以后满地都是垃圾和污水，气味很难闻。",
            "这种情况已经持续{duration}，晚上还吵到很晚。",
        ],
        asks: &[
            "希望有关部门加强管理，规范摊点经营。",
            "请相关部门尽快整治占道经营的问题。",
        ],
    },
    Matter {
        id: "urban.garbage",
        topic: "garbage_collection",
        intent: Dispatch,
        weight: 20,
        line: None,
        titles: &[
            "{estate}垃圾长时间不清运",
            "小区门口垃圾堆积发臭",
            "垃圾站清运不及时",
        ],
        openings: &[
            "{place}{estate}门口的垃圾站已经好几天没有清运了。",
            "{place}{road}路边的垃圾桶满了也没人清理。",
        ],
        details: &[
            "垃圾堆得像小山一样，夏天苍蝇蚊子很多，臭味飘得很远。",
            "环卫车以前每天来一次，最近{duration}经常好几天才来一次。",
            "垃圾分类的桶也坏了好几个，居民只能把垃圾扔在地上。",
        ],
        asks: &[
            "请有关部门安排及时清运垃圾，改善周边环境卫生。",
            "希望相关部门督促环卫单位按时清运。",
        ],
    },
    Matter {
        id: "urban.dogs",
        topic: "city_appearance",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["遛狗不牵绳狗屎满地", "{estate}文明养犬问题"],
        openings: &[
            "{place}{estate}很多居民遛狗不牵绳。",
            "{place}{road}一带的人行道上到处都是狗屎。",
        ],
        details: &[
            "大型犬在小区里乱跑，孩子们都不敢下楼玩。",
            "养狗的人不清理宠物粪便，走路一不小心就踩到。",
            "有居民劝说反而被狗主人骂，矛盾越来越大。",
            "有的狗主人还把狗拴在楼道里，邻居们进进出出都很害怕。",
        ],
        asks: &[
            "希望有关部门加强文明养犬管理。",
            "请相关部门加强巡查，规范养犬行为。",
        ],
    },
    Matter {
        id: "urban.trees",
        topic: "greening",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["行道树遮挡采光需修剪", "{road}树枝过长需要修剪"],
        openings: &[
            "{place}{road}上的行道树长得很高，树枝已经伸到了{estate}居民的窗户边。",
            "{place}{estate}外面的几棵大树多年没有修剪。",
        ],
        details: &[
            "低楼层白天家里都要开灯，屋里还很潮湿。",
            "刮风的时候树枝打在窗户上，大家都担心枝条断落砸到人。",
            "树上的虫子爬进家里，夏天蚊虫特别多。",
            "秋天落叶很多，枯枝掉在停在树下的车上，把车砸出了凹痕。",
        ],
        asks: &[
            "请园林绿化部门安排人员修剪树枝。",
            "希望有关部门尽快来现场查看并修剪。",
        ],
    },
    // ───── 交通运输 ─────
    Matter {
        id: "traffic.illegal_parking",
        topic: "traffic_management",
        intent: Dispatch,
        weight: 18,
        line: None,
        titles: &["{road}车辆乱停乱放", "违停车辆堵住小区出入口"],
        openings: &[
            "{place}{estate}门口的{road}上，每天都有很多车辆违停。",
            "{place}{road}靠近{road2}的路段乱停车现象非常严重。",
        ],
        details: &[
            "车辆停在非机动车道和人行道上，早晚高峰经常堵得走不动。",
            "违停的车把小区出入口堵住了，居民的车开不出去。",
            "附近没有划停车位，也很少看到交警来贴罚单。",
        ],
        asks: &[
            "请交警部门加强巡查，整治违章停车。",
            "希望有关部门规范停车秩序，保障道路通行。",
        ],
    },
    Matter {
        id: "transport.bus_service",
        topic: "public_transit",
        intent: Dispatch,
        weight: 15,
        line: Some("12328"),
        titles: &["{route}公交车班次太少", "{route}公交末班车提前收班"],
        openings: &[
            "我每天坐{route}公交车从{place}到{road}上班。",
            "{place}{road}公交站的{route}公交车经常等不到。",
        ],
        details: &[
            "早高峰要等半个多小时才来一班，车上挤得根本上不去。",
            "末班车经常提前收班，晚上下班只能打车回家。",
            "有的司机到站不停车，乘客在站台上招手也不理。",
        ],
        asks: &[
            "希望公交公司增加班次，按时发车。",
            "请相关部门督促公交公司改进服务。",
        ],
    },
    Matter {
        id: "transport.taxi",
        topic: "taxi_ride_hailing",
        intent: Dispatch,
        weight: 15,
        line: Some("12328"),
        titles: &["投诉出租车绕路", "出租车拒载", "出租车不打表议价"],
        openings: &[
            "昨天晚上我在{place}{road}打了一辆出租车，车牌号是{plate}。",
            "我在{road}路口拦出租车，车牌{plate}的司机问了目的地后拒载。",
        ],
        details: &[
            "司机故意绕路，平时三十多元的路程收了我{small_amount}元。",
            "司机不打表，要求一口价，我不同意就让我下车。",
            "我提出异议，司机态度非常恶劣，还骂骂咧咧。",
        ],
        asks: &[
            "请有关部门核实处理，退还多收的车费。",
            "希望相关部门对该司机依法处理，规范出租车经营。",
        ],
    },
    Matter {
        id: "transport.traffic_lights",
        topic: "roads_bridges",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["{road}路口信号灯故障", "红绿灯时间设置不合理"],
        openings: &[
            "{place}{road}和{road2}交叉口的信号灯最近经常出故障。",
            "{place}{road}路口的红绿灯行人通行时间太短。",
        ],
        details: &[
            "有时候四个方向都是黄灯闪烁，车辆和行人抢行，非常危险。",
            "老人和孩子走到一半就变灯了，只能站在路中间等。",
            "早晚高峰这里车流量很大，经常堵成一片。",
        ],
        asks: &[
            "请有关部门尽快检修信号灯。",
            "希望相关部门调整信号灯配时，保障行人安全。",
        ],
    },
    // ───── 教育文体 ─────
    Matter {
        id: "education.enrolment",
        topic: "school_enrolment",
        intent: Dispatch,
        weight: 15,
        line: None,
        titles: &["孩子入学被拒", "随迁子女入学难", "学区划片不合理"],
        openings: &[
            "我们一家在{place}租房居住，孩子今年该上小学一年级了。",
            "我家住在{place}{estate}，按照学区划片孩子应该在{road}小学入学。",
        ],
        details: &[
            "学校说我们的居住证时间不够，不给办理入学登记。",
            "今年招生时学校却说学位已满，让我们去很远的学校报名。",
            "我们材料都准备齐全了，多次到学校和教育局询问都没有结果。",
        ],
        asks: &[
            "希望教育部门核实情况，保障孩子就近入学的权利。",
            "请相关部门帮忙协调孩子的入学问题。",
        ],
    },
    Matter {
        id: "education.training_refund",
        topic: "off_campus_training",
        intent: Dispatch,
        weight: 12,
        line: None,
        titles: &["校外培训机构不退费", "培训班突然停课拒不退费"],
        openings: &[
            "我给孩子在{place}{road}的一家培训机构报了英语培训班，一次交了{amount}元学费。",
            "{place}{road}上的一家课外辅导机构突然关门停课。",
        ],
        details: &[
            "才上了几节课机构就停课了，老师也都联系不上。",
            "要求退还剩余课时的费用，机构一直拖着不退。",
            "同一个班的几十个家长都遇到了同样的问题。",
        ],
        asks: &[
            "请有关部门督促培训机构退还剩余学费。",
            "希望教育部门加强对校外培训机构的监管。",
        ],
    },
    Matter {
        id: "education.fees",
        topic: "education_fees",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["学校乱收资料费", "学校强制收取校服费和资料费"],
        openings: &[
            "孩子在{place}一所公办初中读书，学校这学期要求每个学生交{small_amount}元资料费。",
            "{place}{road}小学要求家长统一交校服费和教辅资料费。",
        ],
        details: &[
            "资料费没有开具任何收据，也没有说明收费依据。",
            "家长不交的话，老师就在班级群里点名。",
            "教辅资料质量一般，很多根本用不上。",
            "孩子班上{count}个同学每个人都交了，家长们私下里意见很大。",
        ],
        asks: &[
            "请教育部门核查学校的收费行为。",
            "希望有关部门规范学校收费，减轻家长负担。",
        ],
    },
    // ───── 劳动和社会保障 ─────
    Matter {
        id: "labour.site_wages",
        topic: "wage_arrears",
        intent: Dispatch,
        weight: 25,
        line: Some("12333"),
        titles: &["农民工工资被拖欠", "工地拖欠工资", "讨要被拖欠的工资"],
        openings: &[
            "我们是在{place}{road}一个工地干活的农民工，{firm}拖欠我们{months}个月工资。",
            "我在{place}的工地上干了{months}个月，包工头一直拖欠工资不发。",
        ],
        details: &[
            "一共{count}个工人，被拖欠的工资加起来有{amount}元。",
            "找包工头要钱，他说开发商没有给工程款，一直往后拖。",
            "马上要过年了，家里老人孩子都等着这笔血汗钱。",
        ],
        asks: &[
            "请劳动保障部门帮我们讨回工资。",
            "希望有关部门督促施工单位尽快支付拖欠的工资。",
        ],
    },
    Matter {
        id: "labour.company_wages",
        topic: "wage_arrears",
        intent: Dispatch,
        weight: 15,
        line: Some("12333"),
        titles: &["公司拖欠员工工资", "离职后公司不发工资"],
        openings: &[
            "我原来在{place}的{firm}上班，上个月离职了。",
            "{place}{road}的{firm}已经{months}个月没发工资了。",
        ],
        details: &[
            "公司还欠我{months}个月的工资，一共{amount}元。",
            "找人事部门要，说老板在外地，一直拖着不给。",
            "公司里还有好几个同事也被拖欠工资，大家都很着急。",
        ],
        asks: &[
            "请劳动监察部门督促公司尽快支付欠薪。",
            "希望有关部门帮助我们讨回工资。",
        ],
    },
    Matter {
        id: "labour.overtime",
        topic: "labour_relations",
        intent: Dispatch,
        weight: 10,
        line: Some("12333"),
        titles: &["公司强制加班不给加班费", "公司不签劳动合同"],
        openings: &[
            "我在{place}的{firm}上班，公司要求员工每天加班到晚上九点。",
            "我在{place}{road}的{firm}工作了一年多，公司一直不和我签劳动合同。",
        ],
        details: &[
            "周末也经常被叫去加班，但从来没有发过加班费。",
            "员工提出意见，主管就说不想干可以走人。",
            "公司也没有按规定安排年假。",
        ],
        asks: &[
            "请劳动监察部门调查处理，维护劳动者的合法权益。",
            "希望有关部门督促用人单位依法用工。",
        ],
    },
    Matter {
        id: "labour.pension",
        topic: "pensions",
        intent: Dispatch,
        weight: 12,
        line: Some("12333"),
        titles: &["退休后养老金核算有误", "养老金待遇迟迟没有发放"],
        openings: &[
            "我今年刚办理了退休手续，原来在{place}的{firm}工作了三十多年。",
            "我父亲是{place}的企业退休职工，退休{months}个月了还没领到养老金。",
        ],
        details: &[
            "核定的养老金比同工龄的同事少了很多，怀疑视同缴费年限没有算进去。",
            "去社保窗口问了几次，每次都说还在审核，没有明确的时间。",
            "家里生活全靠这份退休金，现在很困难。",
        ],
        asks: &[
            "请有关部门重新核算养老待遇。",
            "希望相关部门尽快核实处理，按时发放养老金。",
        ],
    },
    Matter {
        id: "labour.social_insurance",
        topic: "social_insurance",
        intent: Dispatch,
        weight: 12,
        line: Some("12333"),
        titles: &["单位不给员工缴社保", "公司社保断缴"],
        openings: &[
            "我在{place}的{firm}工作了两年，入职时说好给缴五险一金。",
            "我发现{firm}从去年开始就没有给我缴纳社保了。",
        ],
        details: &[
            "在网上查询发现社保断缴了{months}个月，公司却每月照样从工资里扣钱。",
            "找公司财务问，对方说在补缴，但一直没有补上。",
            "断缴影响了孩子上学和买房的资格，非常着急。",
        ],
        asks: &[
            "请社保部门调查处理，督促公司补缴社保。",
            "希望有关部门维护职工的社会保险权益。",
        ],
    },
    Matter {
        id: "labour.medical_insurance",
        topic: "medical_insurance",
        intent: Dispatch,
        weight: 10,
        line: None,
        titles: &["异地就医医保报销难", "医保报销比例有疑问"],
        openings: &[
            "我母亲在外地住院做了手术，花了{amount}元医疗费用。",
            "我是{place}的居民医保参保人，上个月住院花了{amount}元。",
        ],
        details: &[
            "回来到医保窗口报销，被告知异地就医备案手续不全，不能报销。",
            "报销的比例比政策规定的低很多，窗口人员也说不清原因。",
            "来回跑了好几趟，每次都要补充不同的材料。",
        ],
        asks: &[
            "希望医保部门核实情况，按政策给予报销。",
            "请有关部门说明报销标准，解决报销问题。",
        ],
    },
    // ───── 市场监管 ─────
    Matter {
        id: "market.price_tags",
        topic: "prices",
        intent: Dispatch,
        weight: 15,
        line: Some("12315"),
        titles: &["商品标价与结账价格不一致", "{shop}价格欺诈"],
        openings: &[
            "今天在{place}{road}的{shop}买东西，货架上标价和结账时的价格不一样。",
            "{place}{road}的{shop}经常标低价、结高价。",
        ],
        details: &[
            "鸡蛋标价每斤五元多，结账按七元多收，好几样东西都多收了钱。",
            "找店员理论，店员说是价签没来得及换，拒绝退还差价。",
            "我拍下了价签和小票，涉嫌价格欺诈。",
        ],
        asks: &[
            "请市场监管部门依法查处价格违法行为。",
            "希望有关部门加强对明码标价的检查。",
        ],
    },
    Matter {
        id: "market.food_safety",
        topic: "food_safety",
        intent: Dispatch,
        weight: 15,
        line: Some("12315"),
        titles: &[
            "{restaurant}食品安全问题",
            "买到过期食品",
            "餐馆后厨卫生条件差",
        ],
        openings: &[
            "{place}{road}的{restaurant}后厨卫生条件很差。",
            "在{place}{road}的{shop}买的面包，回家发现已经过了保质期。",
        ],
        details: &[
            "吃完以后全家人都拉肚子，怀疑食材变质了。",
            "透过窗户能看到厨房里有蟑螂，食材直接堆在地上。",
            "店里还有好几样过期食品在继续销售。",
        ],
        asks: &[
            "请市场监管部门检查这家店的食品安全情况。",
            "希望有关部门依法查处，保障群众饮食安全。",
        ],
    },
    Matter {
        id: "market.online_refund",
        topic: "consumer_rights",
        intent: Dispatch,
        weight: 12,
        line: Some("12315"),
        titles: &["商家拒绝退货退款", "售后服务推诿不处理"],
        openings: &[
            "我在{place}{road}的一家电器店买了一台洗衣机，花了{amount}元。",
            "上个月在{place}的{shop}买了一批商品，质量有问题。",
        ],
        details: &[
            "用了不到一周就坏了，要求退货，商家只同意维修。",
            "联系售后好几次，一直推诿不处理，电话也经常打不通。",
            "商家当初承诺七天无理由退货，现在却不承认。",
        ],
        asks: &[
            "请市场监管部门帮助协调退货退款。",
            "希望有关部门维护消费者的合法权益。",
        ],
    },
    Matter {
        id: "market.prepaid_card",
        topic: "prepaid_cards",
        intent: Dispatch,
        weight: 12,
        line: Some("12315"),
        titles: &["美容店关门预付卡无法退款", "{salon}会员卡余额不退"],
        openings: &[
            "我在{place}{road}的{salon}办了一张会员卡，充值了{amount}元。",
            "{place}{road}的{salon}突然关门，很多顾客的会员卡里还有钱。",
        ],
        details: &[
            "现在店门紧锁，老板联系不上，卡里的钱还剩一大半。",
            "店里之前一直推销大家充值办卡，关门前一周还在收钱。",
            "受影响的顾客有{count}多人，大家都要求退卡退钱。",
        ],
        asks: &[
            "请有关部门帮助追回预付卡余额。",
            "希望相关部门加强对预付卡消费的监管。",
        ],
    },
    Matter {
        id: "market.short_weight",
        topic: "product_quality",
        intent: Dispatch,
        weight: 8,
        line: Some("12315"),
        titles: &["农贸摊位缺斤短两", "电子秤做手脚缺斤短两"],
        openings: &[
            "在{place}{road}菜场的一个摊位买了两斤排骨。",
            "{place}{road}的水果摊经常缺斤短两。",
        ],
        details: &[
            "回家用自己的秤一称只有一斤六两，明显缺斤短两。",
            "怀疑摊主的电子秤被动了手脚，好几个邻居都遇到过。",
            "回去找摊主理论，对方不承认还态度很差。",
        ],
        asks: &[
            "请市场监管部门检查计量器具，依法处理。",
            "希望有关部门加强对摊位电子秤的检查。",
        ],
    },
    // ───── 财税金融 ─────
    Matter {
        id: "tax.income_tax_refund",
        topic: "tax",
        intent: Dispatch,
        weight: 10,
        line: Some("12366"),
        titles: &["个税退税迟迟未到账", "个人所得税汇算退税问题"],
        openings: &[
            "我在个税APP上做了去年的个人所得税汇算，显示应退税{small_amount}元。",
            "我是{firm}的员工，今年办理个税汇算后一直没有收到退税。",
        ],
        details: &[
            "提交申请已经{duration}了，状态一直显示税务机关审核中。",
            "单位说是税务局的问题，税务窗口又让我找单位，来回推。",
            "同单位的同事早就到账了，只有我的一直没有消息。",
        ],
        asks: &[
            "请税务部门核实处理，尽快退还税款。",
            "希望有关部门给予明确答复。",
        ],
    },
    Matter {
        id: "tax.no_invoice",
        topic: "invoices",
        intent: Dispatch,
        weight: 8,
        line: Some("12366"),
        titles: &["饭店拒开发票", "商家不开发票"],
        openings: &[
            "今天在{place}{road}的{restaurant}吃饭消费了{small_amount}元。",
            "在{place}{road}的一家装修材料店买了{amount}元的材料。",
        ],
        details: &[
            "结账时要求开发票，店家说开发票要另外加收税点。",
            "店家以发票用完了为由拒开发票。",
            "店里明明贴着可以开电子发票的告示，却一直推脱。",
        ],
        asks: &[
            "请税务部门依法处理商家拒开发票的行为。",
            "希望有关部门督促商家依法开具发票。",
        ],
    },
    Matter {
        id: "finance.housing_fund",
        topic: "housing_fund",
        intent: Dispatch,
        weight: 8,
        line: Some("12329"),
        titles: &["公积金提取被拒", "公积金贷款审批太慢"],
        openings: &[
            "我准备用住房公积金支付房租，按规定提交了租房提取公积金的申请。",
            "我在{place}买了房子，申请了公积金贷款，已经{duration}了还没有批下来。",
        ],
        details: &[
            "公积金中心说材料不全，但每次要求补的材料都不一样。",
            "窗口工作人员态度敷衍，问什么都说等通知。",
            "开发商一直催着交款，再拖下去要承担违约金。",
        ],
        asks: &[
            "请有关部门核实情况，尽快给予办理。",
            "希望公积金中心给出明确的答复和时限。",
        ],
    },
    // ───── 卫生计生 ─────
    Matter {
        id: "health.hospital_service",
        topic: "medical_services",
        intent: Dispatch,
        weight: 12,
        line: Some("12320"),
        titles: &["医院挂号难服务差", "投诉医生态度恶劣"],
        openings: &[
            "我昨天带孩子到{place}一家医院看病，排队挂号就用了两个多小时。",
            "我母亲在{place}的医院住院，护士和医生的服务态度很差。",
        ],
        details: &[
            "医生看病不到三分钟就开了一堆检查，问病情也不耐烦。",
            "病房里的呼叫铃按了半天没人来，家属去找护士还被训斥。",
            "检查费用比其他医院高出很多，收费项目也不清楚。",
        ],
        asks: &[
            "请卫生健康部门核查处理，改善医疗服务。",
            "希望有关部门督促医院提高服务质量。",
        ],
    },
    // ───── 民政 ─────
    Matter {
        id: "civil.elderly_allowance",
        topic: "elderly_care",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["高龄补贴没有按时发放", "老人高龄津贴停发"],
        openings: &[
            "我父亲今年八十五岁，户籍在{place}，一直享受高龄补贴。",
            "我家老人住在{place}{estate}，按规定可以领高龄津贴。",
        ],
        details: &[
            "从今年开始补贴就停发了，社区说是系统升级的原因。",
            "去社区问了好几次，工作人员一直说在核对，没有结果。",
            "老人行动不便，每次都是我请假去跑。",
        ],
        asks: &[
            "请民政部门核实情况，尽快恢复发放。",
            "希望有关部门给出明确答复。",
        ],
    },
    Matter {
        id: "civil.subsistence",
        topic: "social_assistance",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["低保申请迟迟没有结果", "困难家庭申请救助"],
        openings: &[
            "我家住在{place}，丈夫去年生病去世，家里只有我和两个孩子。",
            "我是{place}的残疾人，没有固定收入，今年年初提交了低保申请。",
        ],
        details: &[
            "申请低保已经{duration}了，社区说在审核，一直没有结果。",
            "家里靠我打零工维持生活，孩子上学的费用都很困难。",
            "入户调查也做过了，但不告诉我们审核进度。",
        ],
        asks: &[
            "请民政部门核实我家的情况，给予救助。",
            "希望有关部门尽快审核低保申请。",
        ],
    },
    // ───── 公共安全 ─────
    Matter {
        id: "safety.corridor_charging",
        topic: "fire_safety",
        intent: Dispatch,
        weight: 12,
        line: None,
        titles: &["楼道飞线充电存在消防隐患", "电动车在楼道里充电"],
        openings: &[
            "{place}{estate}{building}的居民经常从家里拉电线到楼道给电动车充电。",
            "{place}{estate}的消防通道被杂物和电动车堵死了。",
        ],
        details: &[
            "楼道里堆满了纸箱和旧家具，存在很大的火灾隐患。",
            "飞线充电一充就是一整夜，大家都很担心安全。",
            "跟物业说过几次，物业只是贴了张告示，没有实际清理。",
        ],
        asks: &[
            "请消防部门检查处理，消除安全隐患。",
            "希望有关部门督促物业清理楼道，规范电动车充电。",
        ],
    },
    Matter {
        id: "safety.household_registration",
        topic: "household_registration",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["孩子落户手续办不下来", "户口迁移被推诿"],
        openings: &[
            "我们在{place}买了房，想把孩子的户口迁过来落户。",
            "我的户口在{place}，想把父母的户口迁过来随迁落户。",
        ],
        details: &[
            "派出所窗口说还缺材料，补了几次材料还是不给办。",
            "每次去要求的材料都不一样，前后跑了五六趟。",
            "孩子马上要上学，户口的事很着急。",
        ],
        asks: &[
            "请公安部门核实情况，尽快给予办理落户。",
            "希望有关部门一次性告知需要的材料。",
        ],
    },
    // ───── 水电气热和通信 (dispatched: bills, chronic problems) ─────
    Matter {
        id: "utility.low_water_pressure",
        topic: "water_service",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["{estate}高层水压长期偏低", "自来水水压低"],
        openings: &[
            "{place}{estate}{building}的高层住户，自来水水压长期偏低。",
            "我住在{place}{estate}顶楼，用水高峰期水龙头出水很小。",
        ],
        details: &[
            "热水器经常点不着，洗澡都成了问题。",
            "找过物业和供水公司，双方互相推诿，问题拖了{duration}。",
            "小区的二次供水设备好像一直没有维护过。",
        ],
        asks: &[
            "请有关部门协调解决水压低的问题。",
            "希望供水部门检查加压设备，改善供水。",
        ],
    },
    Matter {
        id: "utility.frequent_outages",
        topic: "power_service",
        intent: Dispatch,
        weight: 8,
        line: None,
        titles: &["{estate}经常停电", "小区频繁停电影响生活"],
        openings: &[
            "{place}{estate}最近{duration}经常停电，一个月要停好几次。",
            "{place}{road}一带今年夏天频繁停电。",
        ],
        details: &[
            "每次频繁停电都没有提前通知，家里的冰箱和电脑都受到影响。",
            "听说是小区的变压器容量不够，一直没有改造。",
            "天气这么热，家里有老人和小孩，经常停电实在受不了。",
        ],
        asks: &[
            "请供电部门查明原因，彻底解决经常停电的问题。",
            "希望有关部门督促对供电线路进行改造。",
        ],
    },
    Matter {
        id: "utility.gas_fees",
        topic: "gas_service",
        intent: Dispatch,
        weight: 6,
        line: None,
        titles: &["燃气开户费收费不合理", "燃气公司收取初装费"],
        openings: &[
            "我在{place}{estate}买的新房，燃气公司要收{amount}元的开户费。",
            "{place}{estate}的业主开通天然气，被要求先交一笔初装费。",
        ],
        details: &[
            "燃气公司说这是统一规定，但拿不出收费的文件依据。",
            "不交钱就不给通气，我们没有别的选择。",
            "别的小区开通天然气并没有收这笔钱。",
            "其他城区的朋友告诉我们，他们开通天然气只交了很少的材料费。",
        ],
        asks: &[
            "请有关部门核查燃气公司的收费是否合规。",
            "希望相关部门规范燃气收费。",
        ],
    },
    Matter {
        id: "utility.mobile_signal",
        topic: "telecom_service",
        intent: Dispatch,
        weight: 6,
        line: None,
        titles: &["{estate}手机信号差", "小区网络信号差"],
        openings: &[
            "{place}{estate}一带的手机信号非常差。",
            "我住在{place}{estate}{building}，家里几乎没有手机信号。",
        ],
        details: &[
            "在家里打电话经常断线，只能跑到阳台上去接。",
            "宽带网速也很慢，孩子上网课经常卡顿。",
            "打运营商客服电话反映了几次，都说会处理，一直没有改善。",
            "家里老人有事打不通电话，我们在外面上班非常担心。",
        ],
        asks: &[
            "请有关部门督促运营商改善信号覆盖。",
            "希望通信管理部门协调解决。",
        ],
    },
    // ───── 直接答复 (knowledge-base consultations) ─────
    Matter {
        id: "answer.housing_fund_balance",
        topic: "housing_fund",
        intent: AnswerDirectly,
        weight: 15,
        line: Some("12329"),
        titles: &["咨询公积金余额查询", "请问公积金余额怎么查"],
        openings: &[
            "请问一下，公积金余额可以在哪里查到？",
            "请问住房公积金余额怎么查询？",
        ],
        details: &[
            "我在{firm}上班，单位每个月都给我缴存住房公积金。",
            "我准备明年在{district}买房，想先看看账户里有多少钱，够不够付首付。",
            "之前的缴存明细我也想一起看看，核对一下单位缴得对不对。",
        ],
        asks: &["麻烦告诉我一下，谢谢。", "谢谢你们。"],
    },
    Matter {
        id: "answer.social_insurance_record",
        topic: "social_insurance",
        intent: AnswerDirectly,
        weight: 12,
        line: Some("12333"),
        titles: &["咨询社保缴费记录查询", "请问社保缴费记录怎么查"],
        openings: &[
            "请问社保缴费记录怎么查？",
            "请问一下，查社保缴费记录有什么办法？",
        ],
        details: &[
            "我这些年换了好几次工作，中间还在外地干过两年，想知道一共缴了多少年社保。",
            "我在{firm}上班，想核对一下单位每个月缴费的基数。",
            "家里老人快到退休年龄了，自己不会用手机，我想帮他一起查一下。",
        ],
        asks: &["请告诉我具体的方法，谢谢。", "麻烦解答一下，谢谢。"],
    },
    Matter {
        id: "answer.office_hours",
        topic: "service_efficiency",
        intent: AnswerDirectly,
        weight: 10,
        line: None,
        titles: &["咨询政务服务中心办公时间", "请问周六上班吗"],
        openings: &[
            "请问{district}政务服务中心周六上班吗？",
            "请问{district}政务服务中心的办公时间是几点到几点？",
        ],
        details: &[
            "我平时工作日要上班，早出晚归，只有周末才有空去办事。",
            "我想去办一下个体营业执照的经营范围变更，怕去了没人白跑一趟。",
            "上次去的时候赶上中午十二点多，窗口一个人也没有，等了很久。",
        ],
        asks: &["麻烦告诉我一下，谢谢。", "谢谢。"],
    },
    // ───── 水电气热 faults: handed to the utility's line ─────
    Matter {
        id: "fault.water_outage",
        topic: "water_service",
        intent: UtilityTransfer,
        weight: 12,
        line: None,
        titles: &["{estate}突然停水", "家里停水了"],
        openings: &[
            "{place}{estate}从今天早上开始停水，到现在还没来水。",
            "我家住在{place}{estate}{building}，今天中午突然停水了。",
        ],
        details: &[
            "事先没有看到任何停水通知，物业也说不清楚原因。",
            "家里老人孩子做饭洗漱都成问题，只能到外面买水。",
            "整栋楼的住户都一样，大家都在群里着急。",
        ],
        asks: &[
            "请尽快安排抢修恢复供水。",
            "希望尽快告诉我们什么时候能来水。",
        ],
    },
    Matter {
        id: "fault.power_outage",
        topic: "power_service",
        intent: UtilityTransfer,
        weight: 10,
        line: None,
        titles: &["{estate}突然停电", "家里停电了"],
        openings: &[
            "{place}{estate}{building}今天下午突然停电，整栋楼都黑了。",
            "{place}{road}一带从晚上八点开始停电，到现在还没恢复。",
        ],
        details: &[
            "事先没有收到停电通知，冰箱里的东西都要坏了。",
            "楼里有老人要用制氧机，大家都非常着急。",
            "打了物业电话，物业说要等供电公司来处理。",
            "小区里的电梯也停了，住在高层的老人上下楼非常不方便。",
        ],
        asks: &["请尽快派人抢修恢复供电。", "希望尽快处理，告知恢复时间。"],
    },
    // ───── emergencies ─────
    Matter {
        id: "emergency.collapse",
        topic: "medical_services",
        intent: EmergencyTransfer,
        weight: 5,
        line: None,
        titles: &["有老人晕倒在路边", "有人晕倒了"],
        openings: &[
            "{place}{road}路边有一位老人突然晕倒了，叫他也没有反应。",
            "{place}{estate}门口有个人晕倒在地上，好像呼吸困难。",
        ],
        details: &[
            "周围的人围着不知道该怎么办，也不敢随便搬动他，已经有好几分钟了。",
            "老人身边没有家属，看起来七十多岁。",
            "现在天很热，他脸色发白，情况很危险。",
            "我已经让旁边的人去找附近诊所的医生，但是到现在还没有来。",
        ],
        asks: &["请赶快派人来救人！", "请马上安排救护！"],
    },
    Matter {
        id: "emergency.kitchen_fire",
        topic: "fire_safety",
        intent: EmergencyTransfer,
        weight: 5,
        line: None,
        titles: &["{road}有饭店着火了", "楼下店铺起火"],
        openings: &[
            "{place}{road}上的{restaurant}后厨着火了，火势很大。",
            "{place}{estate}楼下的门面房起火了，浓烟往楼上窜。",
        ],
        details: &[
            "楼上还有居民没有下来，大家都在喊。",
            "火苗已经窜到二楼窗户，周围的人都在往外跑。",
            "路边停着好几辆车，离得很近。",
            "店里的服务员和客人都跑到了街上，里面还在不停地往外冒黑烟。",
        ],
        asks: &["请马上派人来！", "请赶紧派消防车过来！"],
    },
    // ───── outside 12345: legal channels and explanations ─────
    Matter {
        id: "excluded.private_loan",
        topic: "general",
        intent: Excluded,
        weight: 10,
        line: None,
        titles: &["借钱不还想要回欠款", "同事借钱不还"],
        openings: &[
            "前年借给一个老乡{amount}元，有借条，现在他一直借钱不还。",
            "我的同事去年向我借了{amount}元，说好半年还，到现在一直借钱不还。",
        ],
        details: &[
            "我打了很多次电话他都不接，发微信也把我拉黑了，人也找不到。",
            "我找过他家里人，他们说管不了。",
            "我现在想起诉他，把钱要回来。",
            "当时是他说家里急用，我才把攒了好几年的积蓄借给了他。",
        ],
        asks: &["请问我该怎么办？", "希望你们帮我想想办法。"],
    },
    Matter {
        id: "excluded.someones_number",
        topic: "general",
        intent: Excluded,
        weight: 6,
        line: None,
        titles: &["想查一个人的联系方式", "帮忙查个电话号码"],
        openings: &[
            "想请你们帮我查一下他的手机号，他以前住在{estate}。",
            "以前的一个朋友搬走了，想请你们帮我查他的电话号码。",
        ],
        details: &[
            "我们以前是邻居，后来就失去了联系。",
            "我只知道他姓{surname}，大概五十多岁，以前在附近开过一家小店。",
            "我有点旧事想当面跟他说清楚。",
            "我去他原来住的地方问过，邻居们都不知道他搬去了哪里。",
        ],
        asks: &["麻烦帮帮忙，谢谢。", "希望你们能帮我找到他。"],
    },
    Matter {
        id: "excluded.corruption",
        topic: "service_efficiency",
        intent: Excluded,
        weight: 6,
        line: None,
        titles: &["反映工作人员收受红包", "举报工作人员以权谋私"],
        openings: &[
            "我要反映{district}某部门的一个科长收受红包。",
            "我发现{district}一个办事窗口的工作人员利用职务之便收好处。",
        ],
        details: &[
            "办事的群众不给他好处，他就找各种理由一直拖着不办。",
            "我自己办事的时候就被暗示要表示一下。",
            "身边好几个朋友都遇到过类似的情况。",
            "他还跟我说，想快点办下来就得按规矩来，意思就是要给钱。",
        ],
        asks: &["希望严肃查处。", "请有关部门调查。"],
    },
];

/// The sum of all weights, for drawing a matter.
pub fn total_weight() -> u32 {
    MATTERS.iter().map(|m| m.weight).sum()
}
