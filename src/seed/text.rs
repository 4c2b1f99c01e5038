//! What seeded requesters say: a few dozen templates of the matters a city's 12345 hears,
//! with places, durations and asks filled in, and the people who call. The intake outcome
//! is not decided here: the real classifier reads the text (see [`super::Seeder`]).
//! (Kept small and private until the load harness's text generator replaces it.)

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::domain::{Channel, Requester};

/// What kind of request a template was written as. Only the mix of requests follows it;
/// the outcome is the classifier's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Needs a department (派单): about half of what 12345 hears.
    Dispatch,
    /// A question the knowledge base answers (直接答复).
    Answer,
    /// A water, power, gas or heating fault (水电气热).
    Utility,
    /// A matter for a court, arbitration, review or disclosure (告知法定途径).
    Legal,
    /// Secrets, privacy, outside the city (解释说明).
    Explain,
    /// 110, 119, 120, 122.
    Emergency,
    /// Abuse of the line.
    Police,
}

/// The mix of kinds, by share of all requests (domain.md §7: about 45% dispatched).
const KINDS: [(Kind, f64); 7] = [
    (Kind::Dispatch, 0.47),
    (Kind::Answer, 0.40),
    (Kind::Utility, 0.06),
    (Kind::Legal, 0.03),
    (Kind::Explain, 0.02),
    (Kind::Emergency, 0.015),
    (Kind::Police, 0.005),
];

/// Matters a department must handle: title, then what happened. `{road}` is a road of the
/// city, `{n}` a small number.
const DISPATCH: &[(&str, &str)] = &[
    (
        "物业不作为",
        "小区物业不作为，楼道垃圾堆积没人清理，物业费却年年上涨。",
    ),
    ("路灯不亮", "{road}有{n}盏路灯不亮，晚上出行很不安全。"),
    (
        "工地夜间施工",
        "附近工地夜间施工到凌晨，噪音很大，严重影响休息。",
    ),
    (
        "饭店油烟扰民",
        "楼下饭店油烟直排，家里窗户都不敢开，气味很大。",
    ),
    ("拖欠工资", "公司拖欠我们{n}个月工资，老板一直推脱不发。"),
    (
        "占道经营",
        "{road}路边每天有人摆摊占道经营，行人只能走机动车道。",
    ),
    (
        "垃圾清运不及时",
        "小区门口的垃圾桶满了好几天没人清运，气味很大。",
    ),
    ("公交站牌损坏", "{road}公交站台的站牌被撞坏了，一直没人修。"),
    ("网约车绕路", "乘坐网约车时司机绕路多收费，平台一直不处理。"),
    (
        "培训机构不退费",
        "孩子报的培训机构突然关门，预交的学费不退。",
    ),
    (
        "超市售卖过期食品",
        "在超市买到过期食品，要求商家退款被拒绝。",
    ),
    ("标价不一致", "超市商品标价和结账价格不一致，多收了钱。"),
    ("健身卡退费", "办的健身卡门店关门了，会员卡里的钱退不回来。"),
    ("私搭乱建", "小区里有住户私搭乱建，占用公共绿地。"),
    (
        "树枝遮挡",
        "{road}的行道树树枝挡住了路灯和住户窗户，希望修剪。",
    ),
    ("车辆违停", "{road}路口经常有车辆违停，早晚高峰非常拥堵。"),
    (
        "单位不缴社保",
        "单位入职{n}个月了一直没有给我缴纳社保，要求补缴。",
    ),
    (
        "退休金未到账",
        "我的退休金这个月迟迟没有发放到账，不知道什么原因。",
    ),
    (
        "医保报销难",
        "医保异地就医报销手续复杂，材料被退回了好几次。",
    ),
    ("挂号难", "医院挂号难，门诊排队时间太长，医生服务态度差。"),
    (
        "低保申请无回音",
        "申请低保的材料交上去{n}个月了，一直没有消息。",
    ),
    ("河道偷排", "河道里有人偷排污水，水体发黑发臭。"),
    ("广场舞扰民", "小区广场舞音响声音太大，每天晚上跳到十点。"),
    ("逾期交房", "开发商逾期交房已经{n}个月，一直没有说法。"),
    (
        "电梯经常故障",
        "小区电梯经常出故障停运，物业维修很慢，老人上下楼困难。",
    ),
    (
        "消防通道堵塞",
        "楼道里堆满杂物，消防通道被堵塞，存在安全隐患。",
    ),
    ("养殖场污染", "村里养殖场的粪污乱排，附近气味很大。"),
    (
        "不动产证迟迟未办",
        "不动产登记办了{n}个月还没拿到不动产权证。",
    ),
    (
        "窗口办事效率低",
        "政务服务中心窗口办事效率低，来回跑了好几趟。",
    ),
    ("水压低", "小区自来水水压一直很低，高楼层用水困难。"),
    ("燃气费偏高", "这个月燃气费账单明显偏高，燃气公司不给解释。"),
    ("井盖缺失", "{road}人行道上的井盖缺失，晚上路过很危险。"),
    ("拒开发票", "在饭店消费后要求开具发票，商家拒开发票。"),
    ("学校乱收费", "孩子学校要求统一购买教辅资料，收费没有公示。"),
    (
        "共享单车乱停",
        "{road}地铁站口共享单车乱停乱放，堵住了盲道。",
    ),
];

/// Questions the knowledge base answers; each names what the answer rules look for.
const ANSWER: &[(&str, &str)] = &[
    (
        "热线服务时间",
        "请问12345热线工作时间是什么时候？晚上打有人接吗？",
    ),
    ("周末办事", "请问政务服务中心周六上班吗？我工作日没时间。"),
    (
        "社保记录查询",
        "请问社保缴费记录怎么查？我想看看单位有没有按时缴。",
    ),
    ("公积金余额", "请问公积金余额怎么查询？"),
    ("居住证办理地点", "请问居住证在哪里办理？需要带什么材料？"),
    ("营业执照网上申请", "请问个体户营业执照网上怎么申请？"),
    ("部门电话", "请问市场监管局的投诉电话是多少？"),
    ("养老金查询", "请问养老金怎么查？想知道每个月发多少。"),
    ("办公时间", "请问不动产登记中心的办公时间是几点到几点？"),
];

const UTILITY: &[(&str, &str)] = &[
    ("突然停水", "家里突然停水了，整栋楼都没水，也没看到通知。"),
    ("小区停电", "小区停电{n}个小时了，冰箱里的东西都要坏了。"),
    ("燃气没气", "家里燃气突然没气了，燃气表坏了显示故障。"),
    ("暖气不热", "家里暖气不热，室内只有十几度，老人孩子受不了。"),
];

const LEGAL: &[(&str, &str)] = &[
    (
        "借款纠纷",
        "朋友借了我{n}万元一直不还，我想去法院起诉他，该怎么做？",
    ),
    (
        "劳动仲裁",
        "公司违法辞退我，我想申请劳动仲裁，需要准备什么材料？",
    ),
    ("不服处罚", "对交警开的处罚决定不服，我想申请行政复议。"),
    (
        "申请公开",
        "我想申请政府信息公开，查看小区旁边道路的规划文件。",
    ),
];

const EXPLAIN: &[(&str, &str)] = &[
    ("查询他人电话", "楼上邻居家漏水，帮我查一下他的电话号码。"),
    (
        "索要内部文件",
        "我想要一份你们政府的内部文件，看看会议怎么说的。",
    ),
    (
        "外地纠纷",
        "我在老家买的房子出了问题，事情发生在外省，你们能管吗？",
    ),
];

const EMERGENCY: &[(&str, &str)] = &[
    (
        "路口车祸",
        "{road}路口两辆车撞车了，有人受伤，车堵在路中间。",
    ),
    ("有人晕倒", "楼下有位老人晕倒了，叫不醒，请快派人来。"),
    ("楼里起火", "对面楼里起火了，窗户往外冒黑烟。"),
];

const POLICE: &[(&str, &str)] = &[
    ("骚扰来电", "没什么事，就是打着玩的，你陪我聊天吧。"),
    ("恶作剧", "刚才是恶作剧，我再打几次看看你们接不接。"),
];

/// How long it has lasted; never empty of meaning for the classifier's urgency.
const SINCE: &[&str] = &[
    "",
    "已经{n}天了，",
    "这个情况持续一周多了，",
    "最近{n}天一直这样，",
    "从上个月开始就这样，",
];

const ASK: &[&str] = &[
    "希望相关部门尽快处理。",
    "请尽快派人核实处理。",
    "希望能给个说法。",
    "请帮忙协调解决。",
    "麻烦尽快解决，谢谢。",
];

/// Roads of the default city, for places in the text and addresses.
const ROADS: &[&str] = &[
    "中山路",
    "北京东路",
    "汉中路",
    "龙蟠路",
    "中央路",
    "应天大街",
    "江东中路",
    "太平南路",
    "建宁路",
    "集庆路",
    "模范马路",
    "草场门大街",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];

/// Opens a repeated request (并单): the words the classifier takes for a chase-up.
const REPEAT_OPENINGS: &[&str] = &[
    "之前反映过的问题还没有解决，",
    "再次反映：",
    "已经反映过一次了，",
];

/// A request's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    /// Where the matter is: a road and number.
    pub address: String,
}

fn fill(template: &str, road: &str, rng: &mut impl Rng) -> String {
    template
        .replace("{road}", road)
        .replace("{n}", &rng.random_range(2..=9).to_string())
}

pub fn pick_kind(rng: &mut impl Rng) -> Kind {
    let mut roll = rng.random::<f64>();
    for (kind, share) in KINDS {
        if roll < share {
            return kind;
        }
        roll -= share;
    }
    Kind::Dispatch
}

/// A request of this kind.
pub fn request(kind: Kind, rng: &mut impl Rng) -> Text {
    let templates = match kind {
        Kind::Dispatch => DISPATCH,
        Kind::Answer => ANSWER,
        Kind::Utility => UTILITY,
        Kind::Legal => LEGAL,
        Kind::Explain => EXPLAIN,
        Kind::Emergency => EMERGENCY,
        Kind::Police => POLICE,
    };
    let (title, body) = *templates.choose(rng).expect("templates are not empty");
    let road = *ROADS.choose(rng).expect("roads are not empty");
    let description = if kind == Kind::Dispatch {
        let since = SINCE.choose(rng).expect("not empty");
        let ask = ASK.choose(rng).expect("not empty");
        format!("{}{}{}", fill(body, road, rng), fill(since, road, rng), ask)
    } else {
        fill(body, road, rng)
    };
    Text {
        kind,
        title: title.to_string(),
        description,
        address: format!("{road}{}号", rng.random_range(1..=300)),
    }
}

/// The same requester calling again about an open request, whose words are given.
pub fn repeat(title: &str, description: &str, address: &str, rng: &mut impl Rng) -> Text {
    let opening = REPEAT_OPENINGS.choose(rng).expect("not empty");
    Text {
        kind: Kind::Dispatch,
        title: format!("再次反映：{title}"),
        description: format!("{opening}{description}"),
        address: address.to_string(),
    }
}

/// A caller: mostly named by surname and title with a mobile number; some anonymous.
pub fn requester(rng: &mut impl Rng) -> Requester {
    if rng.random_bool(0.08) {
        return Requester::default();
    }
    let surname = SURNAMES.choose(rng).expect("not empty");
    let title = if rng.random_bool(0.5) {
        "先生"
    } else {
        "女士"
    };
    let prefix = ["13", "15", "17", "18", "19"]
        .choose(rng)
        .expect("not empty");
    Requester {
        name: format!("{surname}{title}"),
        phone: format!("{prefix}{:09}", rng.random_range(0..1_000_000_000u32)),
        id_number: String::new(),
        confidential: rng.random_bool(0.03),
    }
}

/// The channel a request came in on: mostly the phone.
pub fn channel(rng: &mut impl Rng) -> Channel {
    const CHANNELS: [(Channel, f64); 5] = [
        (Channel::Phone, 0.72),
        (Channel::Wechat, 0.10),
        (Channel::App, 0.08),
        (Channel::Web, 0.07),
        (Channel::Sms, 0.03),
    ];
    let mut roll = rng.random::<f64>();
    for (channel, share) in CHANNELS {
        if roll < share {
            return channel;
        }
        roll -= share;
    }
    Channel::Email
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Classifier, ClassifyInput};
    use rand::SeedableRng;

    fn outcome_of(kind: Kind) -> &'static [&'static str] {
        match kind {
            Kind::Dispatch => &["dispatch"],
            Kind::Answer => &["answer_directly"],
            Kind::Utility => &["utility_transfer"],
            Kind::Legal => &["legal_channel"],
            Kind::Explain => &["explain"],
            Kind::Emergency => &["emergency_transfer"],
            Kind::Police => &["refer_police"],
        }
    }

    /// Every template, whatever its filling, gets the outcome it was written for from the
    /// shipped rules: the seeded mix of outcomes is then the mix of kinds.
    #[test]
    fn the_shipped_rules_read_each_template_as_written() {
        let classifier = Classifier::built_in();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut misses = Vec::new();
        for (kind, _) in KINDS {
            for _ in 0..300 {
                let text = request(kind, &mut rng);
                let c = classifier.classify(&ClassifyInput {
                    title: &text.title,
                    description: &text.description,
                });
                if !outcome_of(kind).contains(&c.outcome.code()) {
                    misses.push(format!(
                        "{kind:?} → {}: {}",
                        c.outcome.code(),
                        text.description
                    ));
                }
            }
        }
        misses.sort();
        misses.dedup();
        assert!(misses.is_empty(), "{}", misses.join("\n"));
    }

    #[test]
    fn repeats_are_read_as_chase_ups() {
        let classifier = Classifier::built_in();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        for _ in 0..100 {
            let first = request(Kind::Dispatch, &mut rng);
            let again = repeat(&first.title, &first.description, &first.address, &mut rng);
            let c = classifier.classify(&ClassifyInput {
                title: &again.title,
                description: &again.description,
            });
            assert!(c.repeat_hint, "{}", again.description);
        }
    }

    #[test]
    fn kinds_share_the_whole() {
        let total: f64 = KINDS.iter().map(|(_, s)| s).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn requesters_pass_the_intake_checks() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for _ in 0..500 {
            let r = requester(&mut rng);
            crate::domain::validate::phone("phone", &r.phone).unwrap();
            crate::domain::validate::label("name", &r.name, false).unwrap();
        }
    }
}
